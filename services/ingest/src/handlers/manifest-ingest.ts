import { UnrecoverableError, WaitingChildrenError, type FlowJob, type Job } from 'bullmq';
import { attemptParts, jobId, manifestErrorKey, runIdOf, type InputRange, type JobPayload, type Report } from '@datashunt/contracts';
import { RunBreaker } from '@datashunt/llm';
import { RunCancellation, RunProgress, RunSettlement, RunStore, type RunInputs, type RunSnapshot } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { deleteObject, getBytes, getJsonIfExists, headObject, isNotFound, putJson } from '@datashunt/storage';
import { samplingRound } from '../guarantee-sampling.js';
import { forgetManifest } from '../manifest-enqueue.js';
import { checkPlannable } from '../plan-checks.js';
import { planShardRanges } from '../staging.js';

const DEFAULT_OUTPUT_PREFIX = 'runs/';

type Step = 'plan' | 'sample' | 'collect';
interface StepData {
  step?: Step;
  runId?: string;
  outputPrefix?: string;
  shards?: number;
  attempt?: number;
}

/**
 * Plans a run from a manifest (step "plan"): validates it, snapshots it, cuts its input into shards
 * by object sizes, adds one score -> route flow per shard as children of this job, and starts the run's
 * finalize job, which writes shards into the results as they are routed. When every shard is routed,
 * BullMQ runs this job again (step "collect"), which settles the run: finalize then writes the report. A resume
 * (`datashunt runs resume`) plans a failed run again from its snapshot, keeping its finished shards.
 *
 * A guarantee run (delta target "guarantee") needs every row's confidence before any routing: its
 * plan adds only the score jobs, then step "sample" runs the sampling phase in rounds of llm-call
 * children (see guarantee-sampling) and adds the route jobs with the threshold it found.
 */
export function manifestIngestHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const control = {
    progress: new RunProgress(runtime.redis, prefix),
    breaker: new RunBreaker(runtime.redis, prefix),
    cancellation: new RunCancellation(runtime.redis, prefix),
    settlement: new RunSettlement(runtime.redis, prefix),
  };
  return defineHandler({
    name: 'manifest-ingest',
    async handle(payload, { job, token }) {
      const state = job.data as StepData;
      if (state.step !== 'collect' && state.step !== 'sample') {
        let planned: PlanOutcome;
        try {
          planned = payload.resume ? await planResume(runtime, runs, control, payload.resume, job) : await plan(runtime, runs, control, payload, job);
        } catch (error) {
          if (!(error instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await gaveUp(runtime, payload, error as Error);
          throw error;
        }
        if (planned.status !== 'planned') return planned;
        const { runId, outputPrefix, shards, attempt, guarantee } = planned;
        // Finalize starts now and writes each shard into the results as soon as it and those before it are routed.
        await startFinalize(runtime, { runId, outputPrefix, shards, attempt, ingestJobId: job.id! });
        await job.updateData({ ...job.data, step: guarantee ? 'sample' : 'collect', runId, outputPrefix, shards, attempt });
        if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
      }
      const { runId, outputPrefix, shards, attempt = 0 } = job.data as Required<Omit<StepData, 'attempt'>> & StepData;
      let unscored: Array<{ shard: number; reason: string }> = [];
      while ((job.data as StepData).step === 'sample') {
        const snapshot = await runs.snapshot(outputPrefix, runId);
        const step = await samplingRound(runtime, runs, job, { snapshot, spec: snapshot.guarantee!, shards, attempt });
        if (step.kind === 'unscored') {
          unscored = step.failedShards;
          break;
        }
        if (step.kind === 'routed') await job.updateData({ ...job.data, step: 'collect' });
        // Children all done already (a retried round): go on at once.
        if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
      }
      const failures = await job.getIgnoredChildrenFailures();
      // Only route jobs name shards (a guarantee run's sampling calls are children too).
      const routeFailures = Object.entries(failures).filter(([key]) => key.includes(':route-shard.'));
      const failedShards = unscored.length ? unscored : routeFailures.map(([key, reason]) => ({ shard: shardOfKey(key), reason }));
      await control.progress.phase(runId, 'finalizing');
      await control.settlement.settle(runId, attempt, failedShards);
      // Already there but for a run planned by an older ingest, or a finalize job someone removed: the same id adds nothing twice.
      await startFinalize(runtime, { runId, outputPrefix, shards, attempt, ingestJobId: job.id! });
      if (failedShards.length) runtime.logger.warn({ runId, failedShards }, 'shards failed; the run fails and `datashunt runs resume` finishes them');
      return { status: 'routed', manifestKey: payload.key, runId, shards, failedShards: failedShards.length };
    },
  });
}

function startFinalize(runtime: Runtime, run: JobPayload<'finalize-run'>) {
  return runtime.queues.add({ name: 'finalize-run', data: run, opts: { jobId: jobId('finalize-run', ...attemptParts(run.runId, run.attempt)) } });
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
  settlement: RunSettlement;
}

/** Route job ids end in the shard index (see routeJobId), which is all finalize needs of a failure. */
function shardOfKey(key: string): number {
  return Number(key.split('.').pop());
}

export function routeJobId(runId: string, attempt: number, shard: number): string {
  return jobId('route-shard', ...attemptParts(runId, attempt), shard);
}

type PlanOutcome =
  | { status: 'planned'; runId: string; outputPrefix: string; shards: number; attempt: number; guarantee: boolean }
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
  const checked = await checkPlannable(runtime, bytes);
  if (!checked.ok) return reportInvalid(runtime, object, checked.message, checked.issues);
  const { manifest, input, image, inputs, delta } = checked;

  const runId = runIdOf(manifest.name, object);
  const outputPrefix = manifest.output.prefix;
  // S3, not Redis, says whether this manifest version already ran: a Redis that forgot it never re-runs (and re-pays) it.
  const reportKey = runs.keys(outputPrefix, runId).report;
  if (await headObject(runtime.s3, runs.ref(reportKey))) {
    runtime.logger.info({ runId, manifest: object.key }, 'manifest version already ran; not running it again');
    return { status: 'already-finished', manifestKey: object.key, runId, reportKey };
  }
  // A snapshot without a report is this version half done (Redis forgot it, or this job is retried):
  // go on from it, reading the objects it planned (a prefix may have changed since).
  const earlier = await runs.freshSnapshot(outputPrefix, runId);
  let reading: RunInputs;
  if (earlier) reading = await inputsOf(runs, earlier);
  else {
    reading = { isPrefix: input.isPrefix, objects: inputs, ...(image ? { image } : {}) };
    // Before the snapshot: a run with a snapshot always has its inputs recorded.
    await runs.saveInputs(outputPrefix, runId, reading);
  }
  const snapshot: RunSnapshot = earlier ?? {
    runId,
    manifestKey: object.key,
    manifestBucket: object.bucket,
    manifestEtag: object.etag,
    // A guarantee run's threshold is not known yet: 1 stands in until its sampling phase stores it.
    ...('guarantee' in delta ? { manifest: { ...manifest, delta: 1 }, guarantee: delta.guarantee } : { manifest: { ...manifest, delta: delta.delta }, deltaSource: delta.source }),
    input: { bucket: input.bucket, key: input.key },
    ...(input.isPrefix ? {} : { inputEtag: inputs[0]!.etag }),
    attempt: 0,
    createdAt: new Date().toISOString(),
  };
  if (!earlier) await runs.saveSnapshot(snapshot);
  return planShards(runtime, runs, control, snapshot, reading, job);
}

/** The objects a run reads: its recorded inputs, or for a run planned before they were recorded, its one JSONL object. */
async function inputsOf(runs: RunStore, snapshot: RunSnapshot): Promise<RunInputs> {
  const recorded = await runs.inputs(snapshot.manifest.output.prefix, snapshot.runId);
  if (recorded) return recorded;
  const object = { ...snapshot.input, etag: snapshot.inputEtag ?? '', size: 0, format: { records: 'jsonl' as const, gzip: false } };
  return { isPrefix: false, objects: [object] };
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
  if (snapshot.guarantee) {
    // Its threshold is certified over all of its rows at once; finishing some shards under it is not supported.
    throw new UnrecoverableError(`cannot resume ${runId}: a run with delta target "guarantee" cannot be resumed; submit its manifest again under a new name`);
  }
  const reading = await inputsOf(runs, snapshot);
  for (const object of reading.objects) {
    const head = await headObject(runtime.s3, object);
    if (!head) throw new UnrecoverableError(`cannot resume ${runId}: its input s3://${object.bucket}/${object.key} is gone`);
    if (object.etag && head.etag !== object.etag) {
      throw new UnrecoverableError(`cannot resume ${runId}: its input s3://${object.bucket}/${object.key} changed since the run started; submit a new manifest`);
    }
  }
  // The attempt is fixed once per resume job, so a retry of this job plans the same attempt again.
  const attempt = (job.data as StepData).attempt ?? (snapshot.attempt ?? 0) + 1;
  await job.updateData({ ...job.data, attempt });
  const next = { ...snapshot, attempt };
  await runs.saveSnapshot(next);
  await Promise.all([control.breaker.reset(runId), control.cancellation.clear(runId)]);
  runtime.logger.info({ runId, attempt: next.attempt }, 'resuming run');
  const planned = await planShards(runtime, runs, control, next, reading, job);
  // Only now does the failed report go (finalize writes the next): a resume that gives up while
  // planning leaves the run failed, and so resumable again.
  await deleteObject(runtime.s3, runs.ref(reportKey));
  return planned;
}

/**
 * Plans the run's shards from its objects' sizes (planShardRanges: no row is read here, but for large
 * objects that cannot be cut by bytes; each scorer reads and checks its own range) and adds a score -> route flow per shard, except for shards whose part an
 * earlier attempt already finished. The ranges are cut once and kept in the run's state object, so a
 * retried plan or a resume numbers the same rows the same way.
 */
async function planShards(runtime: Runtime, runs: RunStore, control: RunControl, snapshot: RunSnapshot, reading: RunInputs, job: Job): Promise<PlanOutcome> {
  const { runId, manifest } = snapshot;
  const outputPrefix = manifest.output.prefix;
  const attempt = snapshot.attempt ?? 0;
  const startedAt = Date.now();
  await control.progress.start({ runId, outputPrefix, manifestKey: snapshot.manifestKey });
  await control.settlement.clear(runId, attempt);
  let plan = await runs.planIfExists(outputPrefix, runId);
  if (!plan) {
    const ranges = await planShardRanges(runs, { outputPrefix, runId, shardSize: manifest.shardSize }, reading, runtime.config.STAGE_ABOVE_BYTES);
    plan = { shards: ranges.length, ranges };
    await runs.savePlan(outputPrefix, runId, plan);
  }
  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  const scoreOnly = snapshot.guarantee !== undefined;
  const flows: FlowJob[] = [];
  let kept = 0;
  for (const [shard, range] of plan.ranges.entries()) {
    if (attempt > 0) {
      const finished = await runs.finishedPart(outputPrefix, runId, shard);
      if (finished) {
        await control.progress.shardKept(runId, shard, finished.lines);
        kept += 1;
        continue;
      }
    }
    flows.push(shardFlow(runtime, { runId, outputPrefix, attempt, shard, range }, parent, scoreOnly));
  }
  // In bulk: one round trip per batch, so planning a million-shard run takes seconds, not hours.
  for (let i = 0; i < flows.length; i += FLOWS_PER_BATCH) await runtime.queues.addFlows(flows.slice(i, i + FLOWS_PER_BATCH));
  await control.progress.planned(runId, plan.shards);
  runtime.logger.info({ runId, attempt, shards: plan.shards, keptShards: kept, objects: reading.objects.length, planMs: Date.now() - startedAt, manifest: snapshot.manifestKey }, 'run planned');
  return { status: 'planned', runId, outputPrefix, shards: plan.shards, attempt, guarantee: scoreOnly };
}

const FLOWS_PER_BATCH = 500;

/**
 * One shard's jobs: score, then route with the score job as its child. A failed shard must not stall
 * the run: its parent goes on, and the run fails with the shard named. A guarantee run scores every
 * shard first (this job waits for them all), and routes after sampling.
 */
function shardFlow(runtime: Runtime, s: { runId: string; outputPrefix: string; attempt: number; shard: number; range: InputRange }, parent: { id: string; queue: string }, scoreOnly: boolean): FlowJob {
  const scoreId = jobId('score-shard', ...attemptParts(s.runId, s.attempt), s.shard);
  if (scoreOnly) return runtime.queues.node({ name: 'score-shard', data: s, opts: { jobId: scoreId, parent, ignoreDependencyOnFailure: true } });
  const route = { runId: s.runId, outputPrefix: s.outputPrefix, attempt: s.attempt, shard: s.shard };
  const scoreJob = runtime.queues.node({ name: 'score-shard', data: s, opts: { jobId: scoreId, ignoreDependencyOnFailure: true } });
  return runtime.queues.node({ name: 'route-shard', data: route, opts: { jobId: routeJobId(s.runId, s.attempt, s.shard), parent, ignoreDependencyOnFailure: true } }, [scoreJob]);
}

async function reportInvalid(runtime: Runtime, manifest: { key: string; etag: string }, message: string, issues: Array<{ path: string; message: string }>): Promise<PlanOutcome> {
  const manifestKey = manifest.key;
  const errorKey = manifestErrorKey(DEFAULT_OUTPUT_PREFIX, manifestKey);
  await putJson(runtime.s3, { bucket: runtime.bucket, key: errorKey }, { manifestKey, manifestEtag: manifest.etag, at: new Date().toISOString(), message, issues });
  runtime.logger.warn({ manifest: manifestKey, errorKey, message }, 'manifest rejected');
  return { status: 'invalid', manifestKey, errorKey, message };
}
