import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import { jobId, manifestBaseName, manifestErrorKey, type RejectRecord } from '@datashunt/contracts';
import { imageShapeForWidth, type ImageShape } from '@datashunt/formats';
import { ModelCalibrations, RunStore, type RunPlan, type RunSnapshot, type ValidatedLine } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import { getBytes, headObject, isNotFound, putBytes, putJson, toJsonl } from '@datashunt/storage';
import { planInputObjects, readInputRecords } from '../input-objects.js';
import { resolveManifestDelta } from '../manifest-delta.js';
import { manifestIdentity } from '../manifest-enqueue.js';
import { checkManifest, checkManifestPolicy, invalidManifest } from '../manifest-validation.js';
import { checkSmallModel } from '../model-check.js';
import { mapRecord, mappedColumns, rejectFor, rowMapping } from '../row-validation.js';

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
  let image: ImageShape | undefined;
  if (manifest.input.fields?.image !== undefined) {
    const featurizer = model.meta.featurizer;
    const width = featurizer.kind === 'pixels' ? featurizer.shape.reduce((a, b) => a * b, 1) : 0;
    image = imageShapeForWidth(width);
    if (!image) {
      const message = `model ${model.meta.name}@${model.version} takes ${width} values (shape [${featurizer.kind === 'pixels' ? featurizer.shape.join(', ') : ''}]), not a square grey or RGB image: give its input as pixels`;
      return reportInvalid(runtime, object.key, message, [{ path: 'input.fields.image', message }]);
    }
  }
  const mapping = rowMapping(manifest, image);
  // Every object is looked at before any shard: binary or contradictory input would become one garbage reject per "line".
  const inputs = await planInputObjects(runtime.s3, input, manifest, mapping, runtime.config.scopes);
  if (!inputs.ok) return reportInvalid(runtime, object.key, inputs.message, inputs.issues);
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
    input: { bucket: input.bucket, key: input.key },
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
  const columns = mappedColumns(mapping);
  const planned: NonNullable<RunPlan['inputs']> = [];
  // Row numbers continue from one object to the next; every physical line or record, blank ones
  // included, ends as a row or a reject under its own number.
  let offset = 0;
  for (const source of inputs.objects) {
    const context = { format: source.format.records, excerpts: runtime.config.REJECT_EXCERPTS, ...(input.isPrefix ? { object: source.key } : {}) };
    let last = 0;
    for await (const record of readInputRecords(runtime.s3, source, columns)) {
      last = record.number;
      const line = offset + record.number;
      while (line > (shardIndex + 1) * manifest.shardSize) await flush();
      const mapped = record.problem === undefined ? mapRecord(record.value, mapping) : { problem: record.problem };
      if ('problem' in mapped) {
        shardRejects.push(rejectFor(line, record, mapped.problem, mapped.id, context));
        rejects += 1;
        continue;
      }
      const text = mapping.storesLinesAsIs && mapped.asIs && record.text !== undefined ? record.text : JSON.stringify(mapped.row);
      shardRows.push(mapped.columns ? { line, text, columns: JSON.stringify(mapped.columns) } : { line, text });
      rows += 1;
    }
    planned.push({ object: `s3://${source.bucket}/${source.key}`, etag: source.etag, format: `${source.format.records}${source.format.gzip ? '.gz' : ''}`, firstLine: offset + 1, lines: last });
    offset += last;
  }
  if (shardRows.length || shardRejects.length || shardIndex === 0) await flush();
  await runs.savePlan(outputPrefix, runId, { shards: shardIndex, rows, rejects, inputs: planned });
  runtime.logger.info({ runId, shards: shardIndex, rows, rejects, objects: inputs.objects.length, manifest: object.key }, 'run planned');
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
