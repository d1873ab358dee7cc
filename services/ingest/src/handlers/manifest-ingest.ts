import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import { attemptParts, jobId, manifestErrorKey, runIdOf, type RejectRecord, type Report } from '@datashunt/contracts';
import { RunBreaker } from '@datashunt/llm';
import { ModelCalibrations, RunCancellation, RunProgress, RunStore, type RunSnapshot, type ValidatedLine } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import {
  deleteObject,
  detectCompressedOrBinary,
  getBytes,
  getJsonIfExists,
  getFirstBytes,
  headObject,
  isNotFound,
  putBytes,
  putJson,
  readLines,
  SNIFF_BYTES,
  toJsonl,
} from '@datashunt/storage';
import { resolveManifestDelta } from '../manifest-delta.js';
import { forgetManifest } from '../manifest-enqueue.js';
import { checkManifest, checkManifestPolicy, invalidManifest } from '../manifest-validation.js';
import { checkSmallModel } from '../model-check.js';
import { checkRow } from '../row-validation.js';

const DEFAULT_OUTPUT_PREFIX = 'runs/';

type Step = 'plan' | 'collect';
interface StepData {
  step?: Step;
  runId?: string;
  outputPrefix?: string;
  shards?: number;
  attempt?: number;
}

/**
 * Plans a run from a manifest (step "plan"): validates it, snapshots it, streams the dataset into
 * shards and adds one score -> route flow per shard as children of this job. When every shard is
 * routed, BullMQ runs this job again (step "collect"), which hands the run to finalize. A resume
 * (`datashunt runs resume`) plans a failed run again from its snapshot, keeping its finished shards.
 */
export function manifestIngestHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = `${runtime.config.QUEUE_PREFIX}:`;
  const control = { progress: new RunProgress(runtime.redis, prefix), breaker: new RunBreaker(runtime.redis, prefix), cancellation: new RunCancellation(runtime.redis, prefix) };
  return defineHandler({
    name: 'manifest-ingest',
    async handle(payload, { job, token }) {
      const state = job.data as StepData;
      if (state.step !== 'collect') {
        let planned: PlanOutcome;
        try {
          planned = payload.resume ? await planResume(runtime, runs, control, payload.resume, job) : await plan(runtime, runs, control, payload, job);
        } catch (error) {
          if (!(error instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await gaveUp(runtime, payload, error as Error);
          throw error;
        }
        if (planned.status !== 'planned') return planned;
        const { runId, outputPrefix, shards, attempt } = planned;
        await job.updateData({ ...job.data, step: 'collect', runId, outputPrefix, shards, attempt });
        if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
      }
      const { runId, outputPrefix, shards, attempt = 0 } = job.data as Required<Omit<StepData, 'attempt'>> & StepData;
      const failures = await job.getIgnoredChildrenFailures();
      const failedShards = Object.entries(failures).map(([key, reason]) => ({ shard: shardOfKey(key), reason }));
      await control.progress.phase(runId, 'finalizing');
      await runtime.queues.add({
        name: 'finalize-run',
        data: { runId, outputPrefix, shards, attempt, failedShards },
        opts: { jobId: jobId('finalize-run', ...attemptParts(runId, attempt)) },
      });
      if (failedShards.length) runtime.logger.warn({ runId, failedShards }, 'shards failed; the run fails and `datashunt runs resume` finishes them');
      return { status: 'routed', manifestKey: payload.key, runId, shards, failedShards: failedShards.length };
    },
  });
}

/** The last attempt failed on what should pass (an outage): make sure the run is not silently dropped. */
async function gaveUp(runtime: Runtime, payload: { bucket: string; key: string; etag: string; resume?: { runId: string } | undefined }, error: Error) {
  if (payload.resume) {
    runtime.logger.error({ runId: payload.resume.runId, err: error.message }, 'resume gave up after the outage window; run `datashunt runs resume` again once S3 and Redis answer');
    return;
  }
  await forgetManifest(runtime, payload);
  runtime.logger.error({ manifest: payload.key, err: error.message }, 'planning gave up after the outage window; the next sweep or notification of this manifest plans it again');
}

interface RunControl {
  progress: RunProgress;
  breaker: RunBreaker;
  cancellation: RunCancellation;
}

/** Route job ids end in the shard index (see routeJobId), which is all finalize needs of a failure. */
function shardOfKey(key: string): number {
  return Number(key.split('.').pop());
}

export function routeJobId(runId: string, attempt: number, shard: number): string {
  return jobId('route-shard', ...attemptParts(runId, attempt), shard);
}

type PlanOutcome =
  | { status: 'planned'; runId: string; outputPrefix: string; shards: number; attempt: number }
  | { status: 'invalid'; manifestKey: string; errorKey: string; message: string }
  | { status: 'already-finished'; manifestKey: string; runId: string; reportKey: string };

async function plan(runtime: Runtime, runs: RunStore, control: RunControl, object: { bucket: string; key: string; etag: string }, job: Job): Promise<PlanOutcome> {
  let bytes: Buffer;
  try {
    bytes = await getBytes(runtime.s3, object);
  } catch (error) {
    if (isNotFound(error)) throw new UnrecoverableError(`manifest s3://${object.bucket}/${object.key} disappeared before ingest`);
    throw error;
  }
  const check = checkManifest(bytes);
  if (!check.ok) return reportInvalid(runtime, object, check.message, check.issues);
  const allowed = checkManifestPolicy(check.manifest, runtime.config);
  if (!allowed.ok) return reportInvalid(runtime, object, allowed.message, allowed.issues);
  const input = allowed.input;
  const model = await checkSmallModel(runtime, check.manifest);
  if (!model.ok) return reportInvalid(runtime, object, invalidManifest(model.issues).message, model.issues);
  // Labels in another order than the model's are mapped by name: the whole run uses the model's order.
  const manifest = { ...check.manifest, task: { ...check.manifest.task, labels: model.labels } };
  const inputHead = await headObject(runtime.s3, input);
  if (!inputHead) {
    return reportInvalid(runtime, object, `input s3://${input.bucket}/${input.key} does not exist`, [{ path: 'input.uri', message: 'object not found' }]);
  }
  // Compressed or binary input would become one garbage reject per "line": refuse it before any shard.
  const notText = inputHead.size > 0 ? detectCompressedOrBinary(await getFirstBytes(runtime.s3, input, SNIFF_BYTES)) : undefined;
  if (notText) {
    return reportInvalid(runtime, object, `input s3://${input.bucket}/${input.key}: ${notText}`, [{ path: 'input.uri', message: notText }]);
  }
  const delta = await resolveManifestDelta(new ModelCalibrations(runtime.s3, runtime.bucket), manifest, model.version);
  if (!delta.ok) return reportInvalid(runtime, object, delta.message, [{ path: 'delta', message: delta.message }]);

  const runId = runIdOf(manifest.name, object);
  const outputPrefix = manifest.output.prefix;
  // S3, not Redis, says whether this manifest version already ran: a Redis that forgot it never re-runs (and re-pays) it.
  const reportKey = runs.keys(outputPrefix, runId).report;
  if (await headObject(runtime.s3, runs.ref(reportKey))) {
    runtime.logger.info({ runId, manifest: object.key }, 'manifest version already ran; not running it again');
    return { status: 'already-finished', manifestKey: object.key, runId, reportKey };
  }
  // A snapshot without a report is this version half done (Redis forgot it, or this job is retried): go on from it.
  const earlier = await runs.freshSnapshot(outputPrefix, runId);
  const snapshot: RunSnapshot = earlier ?? {
    runId,
    manifestKey: object.key,
    manifestBucket: object.bucket,
    manifestEtag: object.etag,
    manifest: { ...manifest, delta: delta.delta },
    deltaSource: delta.source,
    input,
    inputEtag: inputHead.etag,
    attempt: 0,
    createdAt: new Date().toISOString(),
  };
  if (!earlier) await runs.saveSnapshot(snapshot);
  return shardInput(runtime, runs, control, snapshot, job);
}

/** Plans a failed run again: same snapshot, next attempt, with its breaker and cancel note cleared. */
async function planResume(runtime: Runtime, runs: RunStore, control: RunControl, resume: { runId: string; outputPrefix: string }, job: Job): Promise<PlanOutcome> {
  const { runId, outputPrefix } = resume;
  const snapshot = await runs.freshSnapshot(outputPrefix, runId);
  if (!snapshot) throw new UnrecoverableError(`cannot resume ${runId}: no run snapshot under ${outputPrefix}`);
  const reportKey = runs.keys(outputPrefix, runId).report;
  const report = await getJsonIfExists<Report>(runtime.s3, runs.ref(reportKey));
  if (report && report.status !== 'failed') {
    runtime.logger.info({ runId, status: report.status }, 'only a failed run can be resumed; not running it again');
    return { status: 'already-finished', manifestKey: snapshot.manifestKey, runId, reportKey };
  }
  const inputHead = await headObject(runtime.s3, snapshot.input);
  if (!inputHead) throw new UnrecoverableError(`cannot resume ${runId}: its input s3://${snapshot.input.bucket}/${snapshot.input.key} is gone`);
  if (snapshot.inputEtag && inputHead.etag !== snapshot.inputEtag) {
    throw new UnrecoverableError(`cannot resume ${runId}: its input s3://${snapshot.input.bucket}/${snapshot.input.key} changed since the run started; submit a new manifest`);
  }
  // The attempt is fixed once per resume job, so a retry of this job plans the same attempt again.
  const attempt = (job.data as StepData).attempt ?? (snapshot.attempt ?? 0) + 1;
  await job.updateData({ ...job.data, attempt });
  const next = { ...snapshot, attempt };
  await runs.saveSnapshot(next);
  await Promise.all([control.breaker.reset(runId), control.cancellation.clear(runId)]);
  runtime.logger.info({ runId, attempt: next.attempt }, 'resuming run');
  const planned = await shardInput(runtime, runs, control, next, job);
  // Only now does the failed report go (finalize writes the next): a resume that gives up while
  // planning leaves the run failed, and so resumable again.
  await deleteObject(runtime.s3, runs.ref(reportKey));
  return planned;
}

/**
 * Streams the input into shards and adds a score -> route flow per shard, except for shards whose part
 * an earlier attempt already finished. Re-running it writes the same shard objects.
 */
async function shardInput(runtime: Runtime, runs: RunStore, control: RunControl, snapshot: RunSnapshot, job: Job): Promise<PlanOutcome> {
  const { runId, manifest, input } = snapshot;
  const outputPrefix = manifest.output.prefix;
  const attempt = snapshot.attempt ?? 0;
  await control.progress.start({ runId, outputPrefix, manifestKey: snapshot.manifestKey });
  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  let rows = 0;
  let rejects = 0;
  let kept = 0;
  let shardIndex = 0;
  let shardRows: ValidatedLine[] = [];
  let shardRejects: RejectRecord[] = [];
  const flush = async () => {
    const shard = { runId, outputPrefix, attempt, shard: shardIndex, rows: shardRows, rejects: shardRejects, parent };
    if (attempt > 0 && (await runs.partIsFinal(outputPrefix, runId, shardIndex))) {
      await control.progress.shardKept(runId, shardIndex, shardRows.length);
      kept += 1;
    } else await writeShard(runtime, runs, shard);
    await control.progress.ingested(runId, { rows, ingestRejects: rejects });
    shardIndex += 1;
    shardRows = [];
    shardRejects = [];
  };
  const rowCheck = { excerpts: runtime.config.REJECT_EXCERPTS };
  // Every physical line, blank ones included, ends as a row or a reject under its own line number.
  for await (const { line, text } of readLines(runtime.s3, input)) {
    while (line > (shardIndex + 1) * manifest.shardSize) await flush();
    const rejected = checkRow(line, text, manifest.task, rowCheck);
    if (rejected) {
      shardRejects.push(rejected.reject);
      rejects += 1;
    } else {
      shardRows.push({ line, text });
      rows += 1;
    }
  }
  if (shardRows.length || shardRejects.length || shardIndex === 0) await flush();
  await runs.savePlan(outputPrefix, runId, { shards: shardIndex, rows, rejects });
  await control.progress.ingested(runId, { rows, ingestRejects: rejects, shards: shardIndex });
  runtime.logger.info({ runId, attempt, shards: shardIndex, keptShards: kept, rows, rejects, manifest: snapshot.manifestKey }, 'run planned');
  return { status: 'planned', runId, outputPrefix, shards: shardIndex, attempt };
}

async function writeShard(
  runtime: Runtime,
  runs: RunStore,
  s: { runId: string; outputPrefix: string; attempt: number; shard: number; rows: ValidatedLine[]; rejects: RejectRecord[]; parent: { id: string; queue: string } },
) {
  const keys = runs.keys(s.outputPrefix, s.runId);
  await runs.writeShard(s.outputPrefix, s.runId, s.shard, s.rows);
  await putBytes(runtime.s3, runs.ref(keys.shardRejects(s.shard)), toJsonl(s.rejects));
  runtime.metrics.run.countRejects(s.rejects.map((r) => r.reason));
  const data = { runId: s.runId, outputPrefix: s.outputPrefix, shard: s.shard, rows: s.rows.length, attempt: s.attempt };
  // A failed shard must not stall the run: its parent goes on, and the run fails with the shard named.
  const scoreJob = runtime.queues.node({ name: 'score-shard', data, opts: { jobId: jobId('score-shard', ...attemptParts(s.runId, s.attempt), s.shard), ignoreDependencyOnFailure: true } });
  await runtime.queues.addFlow(
    runtime.queues.node(
      { name: 'route-shard', data, opts: { jobId: routeJobId(s.runId, s.attempt, s.shard), parent: s.parent, ignoreDependencyOnFailure: true } },
      [scoreJob],
    ),
  );
}

async function reportInvalid(runtime: Runtime, manifest: { key: string; etag: string }, message: string, issues: Array<{ path: string; message: string }>): Promise<PlanOutcome> {
  const manifestKey = manifest.key;
  const errorKey = manifestErrorKey(DEFAULT_OUTPUT_PREFIX, manifestKey);
  await putJson(runtime.s3, { bucket: runtime.bucket, key: errorKey }, { manifestKey, manifestEtag: manifest.etag, at: new Date().toISOString(), message, issues });
  runtime.logger.warn({ manifest: manifestKey, errorKey, message }, 'manifest rejected');
  return { status: 'invalid', manifestKey, errorKey, message };
}
