import { ReportSchema, ResultRecordSchema, runKeys, type ManifestInput, type Report, type ResultRecord } from '@datashunt/contracts';
import { cancelRun } from '@datashunt/cli';
import { BudgetMeter } from '@datashunt/llm';
import type { RunPlan } from '@datashunt/runs';
import { ownKeyPrefix } from '@datashunt/runtime';
import { getJson, listObjects, readAllJsonl } from '@datashunt/storage';
import { waitUntil } from '../support/cli';
import { spamManifest, startSpamStack, toJsonl, type SpamRow, type TestStack } from '../support/stack';

const SYNC_PRICE = { inputPer1M: 0.15, outputPer1M: 0.6 };
const BATCH_PRICE = { inputPer1M: 0.075, outputPer1M: 0.3 };
const GOOD_KEY = 'sk-batch-mode-accepted';

interface ReferenceStats {
  requests: number;
  batches: { created: number; completed: number; expired: number; cancelled: number; linesAnswered: number; linesFailed: number };
}

/** Batch mode on the test stack: hard rows go through the reference LLM's files + batches interface. */
describe('batch mode', () => {
  let stack: TestStack;
  let test: SpamRow[];

  const admin = async (path: string, body: object) => {
    const res = await fetch(`${stack.referenceLlmUrl}/admin/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
  };
  const stats = async (): Promise<ReferenceStats> => (await fetch(`${stack.referenceLlmUrl}/admin/stats`)).json() as Promise<ReferenceStats>;
  const batchManifest = (inputKey: string, over: Partial<ManifestInput> = {}) =>
    spamManifest(inputKey, { largeModel: { model: 'reference-generalist', mode: 'batch', pricing: { ...SYNC_PRICE, batch: BATCH_PRICE } }, ...over });

  /** Puts the rows as a dataset, drops the manifest and waits for the run's results and report. */
  const run = async (name: string, rows: SpamRow[], manifest: (key: string) => ManifestInput) => {
    const key = `datasets/${name}.jsonl`;
    await stack.put(key, toJsonl(rows));
    await stack.dropManifest(`manifests/${name}.json`, manifest(key));
    const outcome = await stack.watcher.wait(`manifests/${name}.json`, 150_000);
    if (outcome.status !== 'finished') throw new Error(`run ${name} did not finish: ${JSON.stringify(outcome)}`);
    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const report: Report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    return { runId: outcome.runId, results, report };
  };
  const budget = () => new BudgetMeter(stack.runtime.redis, ownKeyPrefix(stack.runtime.config.QUEUE_PREFIX));
  const reservedMicroUsd = async (runId: string) => Number(await stack.runtime.redis.hget(`${ownKeyPrefix(stack.runtime.config.QUEUE_PREFIX)}llm-budget:{${runId}}`, 'reserved'));
  /** The meter keeps each row's cost in whole micro-dollars: sums agree within half a micro-dollar per row. */
  const expectMeteredClose = (metered: number, exact: number, rows: number) => expect(Math.abs(metered - exact)).toBeLessThanOrEqual(rows * 5e-7 + 1e-12);
  /** The run's llm-batch job once it has created its one batch. */
  const batchJobWithItsBatch = () =>
    waitUntil('an llm-batch job with its batch created', async () => {
      const jobs = await stack.runtime.queues.queue('llm').getJobs(['delayed', 'active', 'waiting']);
      return jobs.find((j) => j.name === 'llm-batch' && j.data.batchIds?.length === 1);
    });
  const atBatchPrice = (r: ResultRecord) => (r.tokens.input * BATCH_PRICE.inputPer1M + r.tokens.output * BATCH_PRICE.outputPer1M) / 1e6;

  beforeAll(async () => {
    const started = await startSpamStack({
      referenceApiKey: GOOD_KEY,
      env: { LLM_BATCH_POLL_MS: '100', LLM_BATCH_RETRIES: '1', OPENAI_API_KEY: GOOD_KEY, WRONG_KEY: 'sk-not-issued' },
      endpoints: (base) => ({
        default: { baseURL: base, apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: 60_000 },
        'bad-key': { baseURL: base, apiKeyEnv: 'WRONG_KEY', maxRequestsPerMinute: 60_000 },
      }),
    });
    stack = started.stack;
    test = started.splits.test;
    await admin('batch/settings', { completionDelayMs: 100 });
  });
  afterAll(() => stack?.dispose());

  it('answers the hard rows through batches, one per shard, at the batch price, and reports the savings', async () => {
    const before = await stats();
    const rows = test.slice(0, 300);
    const { runId, results, report } = await run('batch-plain', rows, (key) => batchManifest(key));

    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const large = results.filter((r) => r.source === 'large');
    expect(large.length).toBeGreaterThan(0);
    expect(report.bySource.fallback).toBe(0);
    for (const r of large) {
      expect(r.batch).toBe(true);
      expect(r.cost).toBeCloseTo(atBatchPrice(r), 12);
      expect(r.c_l).not.toBeNull();
    }
    const after = await stats();
    // One batch per shard with hard rows (shards of about 150 rows: the router writes each one's batch
    // rows), and not one synchronous completion.
    const keys = runKeys('runs/', runId);
    const { shards } = await getJson<RunPlan>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: keys.state });
    let batched = 0;
    for await (const _ of listObjects(stack.runtime.s3, stack.runtime.bucket, `${keys.root}batch/`)) batched += 1;
    expect([shards > 1, batched > 1]).toEqual([true, true]);
    expect(after.batches.created - before.batches.created).toBe(batched);
    expect(after.requests).toBe(before.requests);
    expect(after.batches.linesAnswered - before.batches.linesAnswered).toBe(large.length);

    const cost = large.reduce((sum, r) => sum + r.cost, 0);
    const syncCost = large.reduce((sum, r) => sum + (r.tokens.input * SYNC_PRICE.inputPer1M + r.tokens.output * SYNC_PRICE.outputPer1M) / 1e6, 0);
    expect(report.costUsd).toBeCloseTo(cost, 6);
    expect(report.batch).toMatchObject({ rows: large.length });
    expect(report.batch!.costUsd).toBeCloseTo(cost, 6);
    expect(report.batch!.syncCostUsd).toBeCloseTo(syncCost, 6);
    expect(report.batch!.savedUsd).toBeCloseTo(syncCost - cost, 6);
    expect(report.batch!.savedUsd).toBeGreaterThan(0);
    const spend = await budget().usage(runId);
    expect(spend).toMatchObject({ sent: large.length, paidCalls: large.length, possiblyPaidCalls: 0 });
    expectMeteredClose(spend.spentUsd, cost, large.length);
    expect(await reservedMicroUsd(runId)).toBe(0);
  });

  it('sends failed and expired lines again in a new batch, then falls them back (llm_error), never losing a row', async () => {
    const before = await stats();
    // Round 0 expires as a whole; round 1 (the last, LLM_BATCH_RETRIES=1) loses half its lines.
    await admin('batch/faults', { faults: [{ kind: 'expired' }, { kind: 'failLines', share: 0.5 }] });
    const rows = test.slice(300, 500);
    const { runId, results, report } = await run('batch-faults', rows, (key) => batchManifest(key, { shardSize: 1_000 }));

    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const after = await stats();
    expect(after.batches.created - before.batches.created).toBe(2);
    expect(after.batches.expired - before.batches.expired).toBe(1);
    // Every hard row was in both batches: failed (expired) in the first, answered or failed in the second.
    const hard = (after.batches.linesAnswered - before.batches.linesAnswered + after.batches.linesFailed - before.batches.linesFailed) / 2;
    const fellBack = results.filter((r) => r.source === 'fallback');
    const large = results.filter((r) => r.source === 'large');
    expect(large.length + fellBack.length).toBe(hard);
    expect(fellBack.length).toBe(Math.floor(hard / 2));
    for (const r of fellBack) {
      expect(r.fallbackReason).toBe('llm_error');
      expect(r.error).toMatch(/no answer after 2 batches: status 500/);
      expect(r.cost).toBe(0);
    }
    expect(report.fallbackReasons).toEqual({ llm_error: fellBack.length });
    expect(report.batch!.rows).toBe(large.length);
    // Failed and expired lines are not paid: only answers are.
    const spend = await budget().usage(runId);
    expect(spend.paidCalls).toBe(large.length);
    expectMeteredClose(spend.spentUsd, large.reduce((sum, r) => sum + r.cost, 0), large.length);
    expect(await reservedMicroUsd(runId)).toBe(0);
  });

  it('finds its batch again by metadata when retried after creating it, so no row is sent or paid twice', async () => {
    const before = await stats();
    await admin('batch/settings', { completionDelayMs: 1_500 });
    const llm = stack.runtime.queues.queue('llm');
    const rows = test.slice(500, 700);
    const finished = run('batch-retried', rows, (key) => batchManifest(key, { shardSize: 1_000 }));
    try {
      const job = await batchJobWithItsBatch();
      // The state of a job whose worker died between creating the batch and recording it: held still
      // (paused, so it cannot become active meanwhile), its record of the batch taken away.
      await llm.pause();
      await waitUntil('the job to rest', async () => (await job.getState()) !== 'active');
      await job.updateData({ ...job.data, batchIds: [] });
      await llm.resume();
    } finally {
      await admin('batch/settings', { completionDelayMs: 100 });
    }
    const { runId, results, report } = await finished;

    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const large = results.filter((r) => r.source === 'large');
    expect(report.bySource.fallback).toBe(0);
    const after = await stats();
    expect(after.batches.created - before.batches.created).toBe(1);
    expect(after.batches.linesAnswered - before.batches.linesAnswered).toBe(large.length);
    const spend = await budget().usage(runId);
    expect(spend).toMatchObject({ sent: large.length, paidCalls: large.length, possiblyPaidCalls: 0 });
    expectMeteredClose(spend.spentUsd, report.costUsd, large.length);
    expect(await reservedMicroUsd(runId)).toBe(0);
  });

  it('asks nothing again for rows answered before: they come from the cache, free and not counted as batch rows', async () => {
    const before = await stats();
    const { results, report } = await run('batch-again', test.slice(0, 300), (key) => batchManifest(key));
    const after = await stats();
    expect(after.batches.created).toBe(before.batches.created);
    expect(results.filter((r) => r.source === 'large').every((r) => r.cached && r.cost === 0 && !r.batch)).toBe(true);
    expect(report.batch).toBeNull();
    expect(report.largeModelCalls.paid).toBe(0);
  });

  it('cancels its batch when the run is cancelled, and falls its rows back as cancelled, unpaid', async () => {
    const before = await stats();
    await admin('batch/settings', { completionDelayMs: 600_000 });
    const rows = test.slice(700, 800);
    const finished = run('batch-cancelled', rows, (key) => batchManifest(key, { shardSize: 1_000 }));
    try {
      const job = await batchJobWithItsBatch();
      await cancelRun(stack.runtime, job.data.runId, 'batch-mode test');
    } finally {
      await admin('batch/settings', { completionDelayMs: 100 });
    }
    const { runId, results, report } = await finished;

    expect(report.status).toBe('cancelled');
    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const fellBack = results.filter((r) => r.source === 'fallback');
    expect(fellBack.length).toBeGreaterThan(0);
    expect(fellBack.every((r) => r.fallbackReason === 'cancelled' && r.cost === 0)).toBe(true);
    expect(report.bySource.large).toBe(0);
    const after = await stats();
    expect(after.batches.cancelled - before.batches.cancelled).toBe(1);
    expect(after.batches.linesAnswered).toBe(before.batches.linesAnswered);
    const spend = await budget().usage(runId);
    expect(spend).toMatchObject({ paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 0 });
    expect(await reservedMicroUsd(runId)).toBe(0);
  });

  it('trips the run breaker on a refused key: its rows fall back at once and the run fails with the provider\'s message', async () => {
    const rows = test.slice(800, 900);
    const { runId, results, report } = await run('batch-bad-key', rows, (key) =>
      batchManifest(key, { shardSize: 1_000, largeModel: { endpoint: 'bad-key', model: 'reference-generalist', mode: 'batch', pricing: { ...SYNC_PRICE, batch: BATCH_PRICE } } }),
    );
    expect(report.status).toBe('failed');
    expect(report.failure).toMatch(/401/);
    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const fellBack = results.filter((r) => r.source === 'fallback');
    expect(fellBack.length).toBeGreaterThan(0);
    expect(fellBack.every((r) => r.fallbackReason === 'llm_error' && /401|Incorrect API key/.test(r.error ?? ''))).toBe(true);
    // Refused before anything was reserved.
    expect(await budget().usage(runId)).toMatchObject({ sent: 0, paidCalls: 0 });
    expect(Number(await stack.runtime.redis.hget(`${ownKeyPrefix(stack.runtime.config.QUEUE_PREFIX)}llm-budget:{${runId}}`, 'reserved') ?? 0)).toBe(0);
  });
});
