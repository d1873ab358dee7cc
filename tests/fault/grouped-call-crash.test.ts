import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { QueueEvents } from 'bullmq';
import { ReportSchema, ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { PIPELINE_SERVICES } from '@datashunt/cli';
import { datasetPaths } from '@datashunt/datasets';
import { llmCallerService } from '@datashunt/llm-caller';
import { runServices } from '@datashunt/runtime';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { envOf } from '../support/cli';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type TestStack } from '../support/stack';

const ROWS = 30;
const ROWS_PER_JOB = 6;

/**
 * An llm-caller killed in the middle of a grouped llm-call job (some of its rows answered and paid,
 * one in flight): another caller takes the job over once its lock expires, and no row is paid twice.
 * The rows answered before the kill come from the response cache (on the row's own call key, so the
 * row keeps its cost); the one in flight was never completed by the server, so it is asked again.
 * Needs the built services (scripts/test.sh builds).
 */
describe('a grouped llm-call job killed mid-way', () => {
  let stack: TestStack;
  let killed: ChildProcess | undefined;

  beforeAll(async () => {
    const splits = await spamSplits();
    stack = await startTestStack({
      standInTrainPath: datasetPaths('spam').train,
      services: PIPELINE_SERVICES.filter((s) => s !== 'llm-caller'),
      env: { JOB_LOCK_MS: '2000', STALLED_CHECK_MS: '500', LLM_ROWS_PER_JOB: String(ROWS_PER_JOB), LLM_CONCURRENCY: '1' },
    });
    await trainSpamModel(stack.registry, splits.train, splits.validation);
    await stack.put('datasets/grouped.jsonl', toJsonl(splits.test.slice(0, ROWS).map((row, i) => ({ ...row, input: `${row.input}\n(row ${i})` }))));
    // Slow enough answers that the caller is surely mid-job when killed.
    await fetch(new URL('/admin/pacing', stack.llmUrl), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: { min: 300, max: 300 } }) });
  });
  afterAll(async () => {
    killed?.kill('SIGKILL');
    await stack?.dispose();
  });

  it('asks the rows it had not answered and pays each row once', async () => {
    const events = new QueueEvents('llm', { connection: { url: stack.config.REDIS_URL }, prefix: stack.config.QUEUE_PREFIX });
    await events.waitUntilReady();
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    killed = spawn(process.execPath, ['services/llm-caller/dist/main.js'], { env: { ...process.env, ...envOf(stack.config) }, stdio: 'ignore' });

    await stack.dropManifest('manifests/grouped.json', spamManifest('datasets/grouped.jsonl', { name: 'grouped', strategy: 'large-only', shardSize: ROWS }));
    // The third row's request has reached the server (so the first two are answered and recorded) and
    // waits out its latency: the job is in the middle of its third row.
    while ((await referenceStats()).requests < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    killed.kill('SIGKILL');
    await once(killed, 'exit');
    const takeOver = await runServices(stack.runtime, [llmCallerService(stack.runtime)]);
    try {
      const outcome = await stack.watcher.wait('manifests/grouped.json', 120_000);
      if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));
      const results = (await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', outcome.runId).results })).map((r) => ResultRecordSchema.parse(r));
      expect(results.map((r) => r.line)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
      expect(results.every((r) => r.source === 'large' && !r.cached)).toBe(true);
      expect(stalled.length).toBeGreaterThanOrEqual(1);

      // Every row paid exactly once: as many completions as rows, and the rows' costs are what the run spent.
      const stats = await referenceStats();
      expect(stats.completions).toBe(ROWS);
      expect(stats.requests).toBeLessThanOrEqual(ROWS + 1);
      const report = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.reportKey }));
      // The report rounds dollars to millionths.
      expect(report.costUsd).toBeCloseTo(results.reduce((sum, r) => sum + r.cost, 0), 6);
      expect(results.every((r) => r.cost > 0)).toBe(true);
      // Only the request cut off by the kill may have been billed without an answer.
      expect(report.requests).toMatchObject({ paid: ROWS });
      expect(report.requests!.possiblyPaid).toBeLessThanOrEqual(1);
    } finally {
      await takeOver.stop();
      await events.close();
    }
  });

  async function referenceStats(): Promise<{ requests: number; completions: number }> {
    return (await (await fetch(new URL('/admin/stats', stack.llmUrl))).json()) as { requests: number; completions: number };
  }
});
