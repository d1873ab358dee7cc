import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type { Report } from '@datashunt/contracts';
import { BudgetMeter } from '@datashunt/llm';
import { progressView, RunCatalog, RunProgress, type ProgressView, type RunPhase, type RunProgressState } from '@datashunt/runs';
import { ownKeyPrefix, type Runtime } from '@datashunt/runtime';

export type WatchOutcome =
  | { kind: 'finished'; report: Report; outputPrefix: string }
  | { kind: 'refused'; message: string; errorKey: string }
  /** The ingest job that plans the run failed for good (e.g. the input changed before a resume). */
  | { kind: 'not-planned'; reason: string }
  | { kind: 'timeout' };

export interface WatchTarget {
  runId: string;
  outputPrefix: string;
  /**
   * The ingest job that plans (or, for a resume, re-plans) the run: its refusal or failure ends the
   * watch, and counters and a report left by an earlier attempt are not taken for this one's.
   */
  ingestJobId?: string;
}

export interface WatchOptions {
  timeoutMs: number;
  onProgress?: (state: RunProgressState, view: ProgressView) => void;
  pollMs?: number;
}

const TERMINAL = new Set<RunPhase>(['succeeded', 'succeeded-with-warnings', 'failed', 'cancelled']);
/** S3 is asked for the report this often (in polls) even when the counters do not say the run ended: Redis may have lost them. */
const S3_EVERY_POLLS = 5;

/** Dollars a run may have cost so far: confirmed spend plus requests that may have been billed. */
export async function spentSoFar(meter: BudgetMeter, runId: string): Promise<number> {
  const usage = await meter.usage(runId);
  return usage.spentUsd + usage.possiblyPaidUsd;
}

/**
 * Follows a run until it ends, from its live counters in Redis (RunProgress); S3 is read for the
 * report once the counters say the run ended, and now and then in case Redis lost them.
 */
export async function watchRun(runtime: Runtime, target: WatchTarget, options: WatchOptions): Promise<WatchOutcome> {
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const progress = new RunProgress(runtime.redis, prefix);
  const meter = new BudgetMeter(runtime.redis, prefix);
  const catalog = new RunCatalog(runtime.s3, runtime.bucket, runtime.config.OUTPUT_PREFIXES);
  const deadline = Date.now() + options.timeoutMs;
  for (let poll = 0; ; poll += 1) {
    const job = target.ingestJobId ? await runtime.queues.queue('ingest').getJob(target.ingestJobId) : undefined;
    const jobState = job ? await job.getState() : undefined;
    const planOutcome = jobState === 'completed' ? (job!.returnvalue as { status?: string; message?: string; errorKey?: string } | null) : null;
    if (planOutcome?.status === 'invalid') return { kind: 'refused', message: planOutcome.message ?? 'manifest refused', errorKey: planOutcome.errorKey ?? '' };
    if (jobState === 'failed') return { kind: 'not-planned', reason: job!.failedReason };

    const state = await progress.read(target.runId);
    const planned = isPlanned(job, jobState);
    const current = planned || countersRestarted(state, job);
    if (current && state && options.onProgress) options.onProgress(state, progressView(state, await spentSoFar(meter, target.runId)));
    const ended = planned && state !== null && TERMINAL.has(state.phase);
    if (planned && (ended || planOutcome?.status === 'already-finished' || poll % S3_EVERY_POLLS === 0)) {
      // S3 out of reach for a moment (an outage the run itself rides out) is asked again at the next poll.
      const entry = await catalog.read(state?.outputPrefix || target.outputPrefix, target.runId).catch(() => undefined);
      if (entry?.report) return { kind: 'finished', report: entry.report, outputPrefix: entry.outputPrefix };
    }
    if (Date.now() >= deadline) return { kind: 'timeout' };
    await sleep(options.pollMs ?? 1_000);
  }
}

/**
 * Whether the ingest job has planned the attempt being watched. Until then, the report in S3 may be the
 * one an earlier attempt left (a resume deletes it only once its shards are planned).
 */
function isPlanned(job: Job | undefined, jobState: string | undefined): boolean {
  return !job || jobState === 'completed' || (job.data as { step?: string }).step === 'collect';
}

/**
 * Whether ingest has restarted the run's counters for this job while it plans; both times come from
 * the clock of the worker that runs the job.
 */
function countersRestarted(state: RunProgressState | null, job: Job | undefined): boolean {
  return state !== null && job?.processedOn !== undefined && state.startedAt >= job.processedOn;
}
