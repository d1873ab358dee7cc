import { setTimeout as sleep } from 'node:timers/promises';
import { QueueEvents } from 'bullmq';
import { ReportSchema, ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { spamManifest, startSpamStack, type TestStack, toJsonl } from '../support/stack';
import { bullConnection } from '@datashunt/runtime';

const OUTAGE_MS = 45_000;

/**
 * S3 goes away for 45 seconds in the middle of a run with many hard rows. Jobs retry through it: the
 * run ends with one result per row, no rejects, and no answer paid twice.
 */
describe('an S3 outage mid-run', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const started = await startSpamStack({ env: { LLM_CONCURRENCY: '4' } });
    stack = started.stack;
    const { splits } = started;
    await stack.put('datasets/outage.jsonl', toJsonl(splits.test.slice(0, 1_000)));
  });
  afterAll(() => stack?.dispose());

  it('loses no row and pays no call twice', async () => {
    const llmAdmin = stack.llmUrl.replace(/\/v1$/, '/admin');
    const routeEvents = new QueueEvents('route', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    await routeEvents.waitUntilReady();
    // The outage starts when the first shard is routed: the other shards' routers then write their
    // parts while S3 is down, and finalize follows.
    const midRun = new Promise<void>((resolve) => routeEvents.once('completed', () => resolve()));
    await stack.dropManifest('manifests/outage.json', spamManifest('datasets/outage.jsonl', { name: 'outage', delta: 0.9999, shardSize: 200 }));
    await midRun;
    await stack.stopS3();
    // The scenario is an outage of a given length; the test itself waits on the run's events below.
    await sleep(OUTAGE_MS);
    await stack.startS3();
    await routeEvents.close();

    const outcome = await stack.watcher.wait('manifests/outage.json', 600_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;
    const { s3, bucket } = stack.runtime;
    const report = ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
    expect(report.status).not.toBe('failed');
    expect(report.rejects).toBe(0);
    expect(report.results).toBe(1_000);
    expect(report.fallbackReasons.llm_error ?? 0).toBe(0);
    const results = (await readAllJsonl(s3, { bucket, key: runKeys('runs/', report.runId).results })).map((r) => ResultRecordSchema.parse(r));
    expect(new Set(results.map((r) => r.line)).size).toBe(1_000);
    // Each hard row was answered once by the large model: retries found the paid answers in the cache.
    const stats = (await (await fetch(`${llmAdmin}/stats`)).json()) as { completions: number };
    const asked = report.bySource.large + report.bySource.fallback;
    expect(asked).toBeGreaterThan(200);
    expect(stats.completions).toBe(report.requests!.paid);
    expect(report.largeModelCalls.paid + report.largeModelCalls.cached).toBe(asked);
    // A row whose job paid and then met the outage (writing the answer log) is retried from the
    // cache, and still carries what it paid: the rows' account is the meter's.
    expect(report.largeModelCalls.paid).toBe(report.requests!.paid);
    expect(stats.completions).toBeLessThanOrEqual(asked + (report.fallbackReasons.unresolved ?? 0) * 2);
  }, 700_000);
});
