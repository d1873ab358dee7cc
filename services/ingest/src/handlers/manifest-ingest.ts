import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import { jobId, manifestBaseName, manifestErrorKey, type RejectRecord } from '@datashunt/contracts';
import { ModelCalibrations, RunStore, type RunSnapshot, type ValidatedLine } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import {
  detectCompressedOrBinary,
  getBytes,
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
import { manifestIdentity } from '../manifest-enqueue.js';
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
}

/**
 * Plans a run from a manifest (step "plan"): validates it, snapshots it, streams the dataset into
 * shards and adds one score -> route flow per shard as children of this job. When every shard is
 * routed, BullMQ runs this job again (step "collect"), which hands the run to finalize.
 */
export function manifestIngestHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  return defineHandler({
    name: 'manifest-ingest',
    async handle(payload, { job, token }) {
      const state = job.data as StepData;
      if (state.step !== 'collect') {
        const planned = await plan(runtime, runs, payload, job);
        if (planned.status !== 'planned') return planned;
        await job.updateData({ ...job.data, step: 'collect', runId: planned.runId, outputPrefix: planned.outputPrefix, shards: planned.shards });
        if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
      }
      const { runId, outputPrefix, shards } = job.data as Required<StepData>;
      const failures = await job.getIgnoredChildrenFailures();
      const failedShards = Object.entries(failures).map(([key, reason]) => ({ shard: shardOfKey(key), reason }));
      await runtime.queues.add({
        name: 'finalize-run',
        data: { runId, outputPrefix, shards, failedShards },
        opts: { jobId: jobId('finalize-run', runId) },
      });
      if (failedShards.length) runtime.logger.warn({ runId, failedShards }, 'shards failed; their rows become rejects');
      return { status: 'routed', manifestKey: payload.key, runId, shards, failedShards: failedShards.length };
    },
  });
}

/** Route job ids end in the shard index (see routeJobId), which is all finalize needs of a failure. */
function shardOfKey(key: string): number {
  return Number(key.split('.').pop());
}

export function routeJobId(runId: string, shard: number): string {
  return jobId('route-shard', runId, shard);
}

type PlanOutcome =
  | { status: 'planned'; runId: string; outputPrefix: string; shards: number }
  | { status: 'invalid'; manifestKey: string; errorKey: string; message: string }
  | { status: 'already-finished'; manifestKey: string; runId: string; reportKey: string };

async function plan(runtime: Runtime, runs: RunStore, object: { bucket: string; key: string; etag: string }, job: Job): Promise<PlanOutcome> {
  let bytes: Buffer;
  try {
    bytes = await getBytes(runtime.s3, object);
  } catch (error) {
    if (isNotFound(error)) throw new UnrecoverableError(`manifest s3://${object.bucket}/${object.key} disappeared before ingest`);
    throw error;
  }
  const check = checkManifest(bytes);
  if (!check.ok) return reportInvalid(runtime, object.key, check.message, check.issues);
  const allowed = checkManifestPolicy(check.manifest, runtime.config);
  if (!allowed.ok) return reportInvalid(runtime, object.key, allowed.message, allowed.issues);
  const input = allowed.input;
  const model = await checkSmallModel(runtime, check.manifest);
  if (!model.ok) return reportInvalid(runtime, object.key, invalidManifest(model.issues).message, model.issues);
  // Labels in another order than the model's are mapped by name: the whole run uses the model's order.
  const manifest = { ...check.manifest, task: { ...check.manifest.task, labels: model.labels } };
  const inputHead = await headObject(runtime.s3, input);
  if (!inputHead) {
    return reportInvalid(runtime, object.key, `input s3://${input.bucket}/${input.key} does not exist`, [{ path: 'input.uri', message: 'object not found' }]);
  }
  // Compressed or binary input would become one garbage reject per "line": refuse it before any shard.
  const notText = inputHead.size > 0 ? detectCompressedOrBinary(await getFirstBytes(runtime.s3, input, SNIFF_BYTES)) : undefined;
  if (notText) {
    return reportInvalid(runtime, object.key, `input s3://${input.bucket}/${input.key}: ${notText}`, [{ path: 'input.uri', message: notText }]);
  }
  const delta = await resolveManifestDelta(new ModelCalibrations(runtime.s3, runtime.bucket), manifest, model.version);
  if (!delta.ok) return reportInvalid(runtime, object.key, delta.message, [{ path: 'delta', message: delta.message }]);

  const runId = `${manifest.name ?? manifestBaseName(object.key)}-${manifestIdentity(object).slice(0, 8)}`;
  const outputPrefix = manifest.output.prefix;
  // S3, not Redis, says whether this manifest version already ran: a Redis that forgot it never re-runs (and re-pays) it.
  const reportKey = runs.keys(outputPrefix, runId).report;
  if (await headObject(runtime.s3, runs.ref(reportKey))) {
    runtime.logger.info({ runId, manifest: object.key }, 'manifest version already ran; not running it again');
    return { status: 'already-finished', manifestKey: object.key, runId, reportKey };
  }
  const snapshot: RunSnapshot = {
    runId,
    manifestKey: object.key,
    manifestBucket: object.bucket,
    manifestEtag: object.etag,
    manifest: { ...manifest, delta: delta.delta },
    deltaSource: delta.source,
    input,
    createdAt: new Date().toISOString(),
  };
  await runs.saveSnapshot(snapshot);

  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  let rows = 0;
  let rejects = 0;
  let shardIndex = 0;
  let shardRows: ValidatedLine[] = [];
  let shardRejects: RejectRecord[] = [];
  const flush = async () => {
    await writeShard(runtime, runs, { runId, outputPrefix, shard: shardIndex, rows: shardRows, rejects: shardRejects, parent });
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
  runtime.logger.info({ runId, shards: shardIndex, rows, rejects, manifest: object.key }, 'run planned');
  return { status: 'planned', runId, outputPrefix, shards: shardIndex };
}

async function writeShard(
  runtime: Runtime,
  runs: RunStore,
  s: { runId: string; outputPrefix: string; shard: number; rows: ValidatedLine[]; rejects: RejectRecord[]; parent: { id: string; queue: string } },
) {
  const keys = runs.keys(s.outputPrefix, s.runId);
  await runs.writeShard(s.outputPrefix, s.runId, s.shard, s.rows);
  await putBytes(runtime.s3, runs.ref(keys.shardRejects(s.shard)), toJsonl(s.rejects));
  runtime.metrics.run.countRejects(s.rejects.map((r) => r.reason));
  const data = { runId: s.runId, outputPrefix: s.outputPrefix, shard: s.shard, rows: s.rows.length };
  // A failed shard must not stall the run: its parent goes on and finalize turns its rows into rejects.
  const scoreJob = runtime.queues.node({ name: 'score-shard', data, opts: { jobId: jobId('score-shard', s.runId, s.shard), ignoreDependencyOnFailure: true } });
  await runtime.queues.addFlow(
    runtime.queues.node(
      { name: 'route-shard', data, opts: { jobId: routeJobId(s.runId, s.shard), parent: s.parent, ignoreDependencyOnFailure: true } },
      [scoreJob],
    ),
  );
}

async function reportInvalid(runtime: Runtime, manifestKey: string, message: string, issues: Array<{ path: string; message: string }>): Promise<PlanOutcome> {
  const errorKey = manifestErrorKey(DEFAULT_OUTPUT_PREFIX, manifestKey);
  await putJson(runtime.s3, { bucket: runtime.bucket, key: errorKey }, { manifestKey, at: new Date().toISOString(), message, issues });
  runtime.logger.warn({ manifest: manifestKey, errorKey, message }, 'manifest rejected');
  return { status: 'invalid', manifestKey, errorKey, message };
}
