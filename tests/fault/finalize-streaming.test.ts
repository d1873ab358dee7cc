import { Job, QueueEvents, type Queue } from 'bullmq';
import { attemptParts, jobId, manifestIngestJobId, ReportSchema, ResultRecordSchema, runIdOf, runKeys } from '@datashunt/contracts';
import { PIPELINE_SERVICES } from '@datashunt/cli';
import { datasetPaths } from '@datashunt/datasets';
import { finalizeService } from '@datashunt/finalize';
import { RunProgress, RunSettlement } from '@datashunt/runs';
import { bullConnection, ownKeyPrefix, runServices, type RunningServices } from '@datashunt/runtime';
import { getJson, headObject, readAllJsonl } from '@datashunt/storage';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type TestStack } from '../support/stack';

const ROWS = 300;
const SHARD_SIZE = 100;

/**
 * Polls until `check` holds: Redis counters and job states change without an event a test can
 * subscribe to (BullMQ emits none when a parent starts waiting on its children, for one).
 */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function stateOf(queue: Queue, id: string): Promise<string> {
  return (await Job.fromId(queue, id))?.getState() ?? 'gone';
}

/**
 * Finalize starts with its run and writes shards while the run goes on. This file runs the finalize
 * service itself, so that it can stop it mid-run and start another.
 */
describe('finalize while its run is going', () => {
  let stack: TestStack;
  let finalizeEvents: QueueEvents;
  let finalizers: RunningServices[] = [];

  beforeAll(async () => {
    const splits = await spamSplits();
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train, services: PIPELINE_SERVICES.filter((s) => s !== 'finalize') });
    await trainSpamModel(stack.registry, splits.train, splits.validation);
    await stack.put('datasets/streaming.jsonl', toJsonl(splits.test.slice(0, ROWS)));
    finalizeEvents = new QueueEvents('finalize', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    await finalizeEvents.waitUntilReady();
  });
  afterEach(async () => {
    await Promise.all(finalizers.map((f) => f.stop()));
    finalizers = [];
    await Promise.all(['ingest', 'llm'].map((q) => stack.runtime.queues.queue(q as 'ingest' | 'llm').resume()));
  });
  afterAll(async () => {
    await finalizeEvents?.close();
    await stack?.dispose();
  });

  const startFinalize = async () => {
    const running = await runServices(stack.runtime, [finalizeService(stack.runtime)]);
    finalizers.push(running);
    return running;
  };

  /** Drops a manifest and resolves with its run's jobs once a finalize worker has taken its finalize job. */
  async function startRun(name: string, over: Parameters<typeof spamManifest>[1] = {}) {
    const key = `manifests/${name}.json`;
    await stack.dropManifest(key, spamManifest('datasets/streaming.jsonl', { name, shardSize: SHARD_SIZE, ...over }));
    const { s3, bucket } = stack.runtime;
    const object = { bucket, key, etag: (await headObject(s3, { bucket, key }))!.etag };
    const runId = runIdOf(name, object);
    const finalizeJobId = jobId('finalize-run', ...attemptParts(runId, 0));
    await until(async () => (await stateOf(stack.runtime.queues.queue('finalize'), finalizeJobId)) === 'active');
    return { key, runId, ingestJobId: manifestIngestJobId(object), finalizeJobId };
  }

  async function expectEveryRowOnce(key: string) {
    const outcome = await stack.watcher.wait(key, 120_000);
    if (outcome.status !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(outcome)}`);
    const keys = runKeys('runs/', outcome.runId);
    const report = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: keys.report }));
    expect(report).toMatchObject({ status: 'succeeded', rows: ROWS, results: ROWS });
    const results = (await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    expect(results.map((r) => r.line)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    return outcome.runId;
  }

  it('writes every routed shard into the results before the run is settled, and the report once it is', async () => {
    await startFinalize();
    const ingest = stack.runtime.queues.queue('ingest');
    const run = await startRun('streaming');
    // Held back, ingest's collect step cannot settle the run: only shards written as they are routed can be written now.
    await ingest.pause();
    const { runId } = run;
    const prefix = ownKeyPrefix(stack.config.QUEUE_PREFIX);
    const progress = new RunProgress(stack.runtime.redis, prefix);
    await until(async () => {
      const p = await progress.read(runId);
      return p !== null && p.shards !== null && p.shards > 1 && p.shardsWritten === p.shards;
    });
    expect(await new RunSettlement(stack.runtime.redis, prefix).settled(runId, 0)).toBeNull();
    expect(await headObject(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).report })).toBeUndefined();
    expect(await stateOf(ingest, run.ingestJobId)).not.toBe('completed');

    await ingest.resume();
    expect(await expectEveryRowOnce(run.key)).toBe(runId);
  }, 180_000);

  it('hands a still-going run on when its finalize process stops, spending no attempt, and another process finishes it', async () => {
    const first = await startFinalize();
    const llm = stack.runtime.queues.queue('llm');
    await llm.pause();
    // Nearly every row goes to the large model, which is held back: the run cannot end while the process stops.
    const run = await startRun('handed-on', { delta: 0.9999 });
    await first.stop();
    const finalize = stack.runtime.queues.queue('finalize');
    expect(['delayed', 'waiting']).toContain(await stateOf(finalize, run.finalizeJobId));
    const job = (await Job.fromId(finalize, run.finalizeJobId))!;
    expect(job.attemptsMade).toBe(0);
    expect(job.stalledCounter).toBe(0);

    await startFinalize();
    await llm.resume();
    await expectEveryRowOnce(run.key);
  }, 180_000);

  it('fails with the reason, instead of waiting for ever, when the run\'s ingest job is gone without settling it', async () => {
    await startFinalize();
    const llm = stack.runtime.queues.queue('llm');
    await llm.pause();
    const run = await startRun('abandoned', { delta: 0.9999 });
    const failed = new Promise<{ jobId: string; failedReason: string }>((resolve) => finalizeEvents.on('failed', (event) => event.jobId === run.finalizeJobId && resolve(event)));
    const ingest = stack.runtime.queues.queue('ingest');
    // Once every shard waits on the held-back large model, no job of the run holds a lock, and the
    // ingest job can be removed with its children, as an operator cleaning the queue would.
    const progress = new RunProgress(stack.runtime.redis, ownKeyPrefix(stack.config.QUEUE_PREFIX));
    await until(async () => {
      const p = await progress.read(run.runId);
      return p !== null && p.planned && p.routed === p.rows;
    });
    expect(await ingest.remove(run.ingestJobId)).toBe(1);
    expect(await stateOf(ingest, run.ingestJobId)).toBe('gone');
    const failure = await failed;
    expect(failure.failedReason).toMatch(/ingest job that settles this run ended without settling its shards .*`datashunt runs resume`/);
    expect((await Job.fromId(stack.runtime.queues.queue('finalize'), run.finalizeJobId))!.attemptsMade).toBe(1);
  }, 180_000);
});
