import { Job, QueueEvents, type Queue } from 'bullmq';
import { attemptParts, jobId, manifestIngestJobId, ReportSchema, ResultRecordSchema, runKeys, type Report } from '@datashunt/contracts';
import { resumeRun } from '@datashunt/cli';
import { getJson, headObject, readAllJsonl } from '@datashunt/storage';
import { spamManifest, startSpamStack, type TestStack, toJsonl } from '../support/stack';
import { bullConnection } from '@datashunt/runtime';

const ROWS = 600;

/** Polls a job's state until it is `state` (BullMQ emits no event when a parent starts waiting on children it already has). */
async function waitForState(queue: Queue, id: string, state: string): Promise<void> {
  for (;;) {
    const job = await Job.fromId(queue, id);
    if (job && (await job.getState()) === state) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * S3 stays down longer than the outage window (2 s here), so shards fail for good. The run must end
 * `failed` with those rows unfinished (not rejected), and `runs resume` must finish exactly them,
 * taking the answers already paid from the run's answer log and the cache.
 */
describe('resuming a run that failed in an outage', () => {
  let stack: TestStack;
  let events: QueueEvents[];

  beforeAll(async () => {
    const started = await startSpamStack({ env: { LLM_CONCURRENCY: '4', OUTAGE_RETRY_WINDOW_MS: '2000' } });
    stack = started.stack;
    await stack.put('datasets/resume.jsonl', toJsonl(started.splits.test.slice(0, ROWS)));
  });
  afterAll(async () => {
    await Promise.all((events ?? []).map((e) => e.close()));
    await stack?.dispose();
  });

  it('fails with unfinished rows, then finishes them on resume without paying twice', async () => {
    const connection = { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX };
    const route = new QueueEvents('route', connection);
    const finalize = new QueueEvents('finalize', connection);
    events = [route, finalize];
    await Promise.all(events.map((e) => e.waitUntilReady()));
    // A route job that failed for good (its retries spent in the outage).
    const routeFailed = new Promise<void>((resolve) => {
      route.on('failed', async ({ jobId: id }) => {
        const job = await Job.fromId(stack.runtime.queues.queue('route'), id);
        if (job && (await job.getState()) === 'failed') resolve();
      });
    });
    // The large model is held back until every shard exists, so shards with hard rows are still open
    // when S3 goes: the outage always hits routing, however fast the machine is.
    const llm = stack.runtime.queues.queue('llm');
    await llm.pause();
    const key = 'manifests/resume.json';
    await stack.dropManifest(key, spamManifest('datasets/resume.jsonl', { name: 'resume', delta: 0.9999, shardSize: 100 }));
    const { s3, bucket } = stack.runtime;
    const ingestJobId = manifestIngestJobId({ bucket, key, etag: (await headObject(s3, { bucket, key }))!.etag });
    await waitForState(stack.runtime.queues.queue('ingest'), ingestJobId, 'waiting-children');
    await stack.stopS3();
    await llm.resume();
    await routeFailed;
    await stack.startS3();

    const outcome = await stack.watcher.wait(key, 300_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;
    const keys = runKeys('runs/', outcome.runId);
    const failed: Report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatch(/rows not finished; `datashunt runs resume`/);
    expect(failed.unfinishedRows).toBeGreaterThan(0);
    expect(failed.rejects).toBe(0);
    expect(failed.results + failed.unfinishedRows).toBe(ROWS);

    const resumed = new Promise<void>((resolve) => {
      const id = jobId('finalize-run', ...attemptParts(outcome.runId, 1));
      finalize.on('completed', ({ jobId: done }) => done === id && resolve());
    });
    await resumeRun(stack.runtime, outcome.runId);
    await resumed;

    const report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    expect(report).toMatchObject({ status: 'succeeded', rows: ROWS, results: ROWS, rejects: 0, unfinishedRows: 0 });
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    expect(results.map((r) => r.line).sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    // Every hard row was answered by the large model exactly once, across both attempts.
    const stats = (await (await fetch(`${stack.llmUrl.replace(/\/v1$/, '/admin')}/stats`)).json()) as { completions: number };
    const asked = report.bySource.large + report.bySource.fallback;
    expect(report.fallbackReasons.llm_error ?? 0).toBe(0);
    expect(stats.completions).toBe(asked + (report.fallbackReasons.unresolved ?? 0));
  }, 600_000);
});
