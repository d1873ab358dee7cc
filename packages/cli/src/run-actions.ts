import { jobId, manifestIdentity } from '@datashunt/contracts';
import { findRunWithProgress, RunCancellation, RunCatalog, RunProgress, type RunEntry } from '@datashunt/runs';
import { ownKeyPrefix, type Runtime } from '@datashunt/runtime';

/** Thrown for what a person asked that cannot be done; the CLI prints the message and exits 1. */
export class RunActionError extends Error {}

/** A run by id: where its live progress says it is, else searched for under the operator's output prefixes. */
export async function findRun(runtime: Runtime, runId: string): Promise<RunEntry> {
  const { entry } = await findRunWithProgress(
    new RunCatalog(runtime.s3, runtime.bucket, runtime.config.OUTPUT_PREFIXES),
    new RunProgress(runtime.redis, ownKeyPrefix(runtime.config.QUEUE_PREFIX)),
    runId,
  );
  if (!entry) throw new RunActionError(`no run "${runId}" under ${runtime.config.OUTPUT_PREFIXES.join(', ')} in s3://${runtime.bucket}`);
  return entry;
}

/**
 * Cancels a running run: no new large-model calls are made for it (its rows fall back, flagged
 * `cancelled`), what is done is finalized, and the report says `cancelled`. Calls of a rate-limited
 * run waiting for a later slot are woken, so the run ends now rather than at its last slot.
 */
export async function cancelRun(runtime: Runtime, runId: string, by: string): Promise<{ cancelled: boolean; woken: number }> {
  const entry = await findRun(runtime, runId);
  if (entry.report) throw new RunActionError(`run ${runId} already finished (${entry.report.status}); nothing to cancel`);
  if (!entry.snapshot) throw new RunActionError(`run ${runId} never started (${entry.error ? `refused: ${entry.error.message}` : 'no snapshot'}); nothing to cancel`);
  const cancelled = await new RunCancellation(runtime.redis, ownKeyPrefix(runtime.config.QUEUE_PREFIX)).cancel(runId, by);
  let woken = 0;
  for (const job of await runtime.queues.queue('llm').getDelayed()) {
    if ((job.data as { runId?: string }).runId !== runId) continue;
    // A job that left the delayed set meanwhile runs anyway, and sees the cancel.
    if (await job.promote().then(() => true, () => false)) woken += 1;
  }
  return { cancelled, woken };
}

/**
 * Resumes a failed run from its snapshot: shards an earlier attempt finished are kept, the rest run
 * again, and answers the large model already gave come from the run's answer log (not paid again).
 */
export async function resumeRun(runtime: Runtime, runId: string): Promise<{ manifestKey: string; outputPrefix: string; ingestJobId: string }> {
  const entry = await findRun(runtime, runId);
  if (!entry.snapshot) throw new RunActionError(`run ${runId} never started (${entry.error ? `refused: ${entry.error.message}` : 'no snapshot'}); fix and submit the manifest instead`);
  // Without a report the run is still going (or Redis lost it, and the manifest sweep re-plans it by itself).
  if (!entry.report) throw new RunActionError(`run ${runId} has not finished; only a failed run can be resumed (see \`datashunt runs watch ${runId}\`)`);
  if (entry.report.status !== 'failed') throw new RunActionError(`run ${runId} ended ${entry.report.status}; only a failed run can be resumed`);
  const { manifestBucket: bucket, manifestKey: key, manifestEtag: etag } = entry.snapshot;
  // Its own id per request: the first attempt's ingest job may still be kept in Redis.
  const ingestJobId = jobId('manifest-ingest', manifestIdentity({ bucket, key, etag }), 'resume', Date.now());
  await runtime.queues.add({
    name: 'manifest-ingest',
    data: { bucket, key, etag, resume: { runId, outputPrefix: entry.outputPrefix } },
    opts: { jobId: ingestJobId },
  });
  return { manifestKey: key, outputPrefix: entry.outputPrefix, ingestJobId };
}
