import { ReportSchema, type JobPayload } from '@datashunt/contracts';
import { getJson } from '@datashunt/storage';
import { spamManifest, startSpamStack, type TestStack, toJsonl } from '../support/stack';

/**
 * A manifest that asks for 1 request per minute next to a normal one on the same endpoint: the slow
 * run only slows itself. Its calls wait as delayed jobs, not in worker slots.
 */
describe('runs sharing an endpoint', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const started = await startSpamStack({ env: { LLM_CONCURRENCY: '4' } });
    stack = started.stack;
    const { splits } = started;
    await stack.put('datasets/slow.jsonl', toJsonl(splits.test.slice(0, 100)));
    await stack.put('datasets/normal.jsonl', toJsonl(splits.test.slice(100, 400)));
  });
  afterAll(() => stack?.dispose());

  it('lets a normal run finish while a 1-rpm run holds no worker slot', async () => {
    const slow = spamManifest('datasets/slow.jsonl', { name: 'slow', delta: 0.9999, largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 1 } });
    await stack.dropManifest('manifests/slow.json', slow);
    await stack.dropManifest('manifests/normal.json', spamManifest('datasets/normal.jsonl', { name: 'normal', delta: 0.9999 }));

    const outcome = await stack.watcher.wait('manifests/normal.json', 120_000);
    if (outcome.status !== 'finished') throw new Error(`normal run: ${JSON.stringify(outcome)}`);
    const report = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.reportKey }));
    expect(report.bySource.large).toBeGreaterThan(100);
    expect(report.fallbackReasons).toEqual({});

    // The slow run got about one call through and parks the rest as delayed jobs (of LLM_ROWS_PER_JOB
    // rows each), none in a worker slot.
    const llm = stack.runtime.queues.queue('llm');
    const slowJobs = (await llm.getJobs(['active', 'delayed', 'waiting', 'completed'])).filter((j) => String(j.data.runId).startsWith('slow-'));
    const states = await Promise.all(slowJobs.map((j) => j.getState()));
    const rowsOf = (state: string) => slowJobs.filter((_, i) => states[i] === state).reduce((sum, j) => sum + (j.data as JobPayload<'llm-call'>).rows.length, 0);
    const answered = slowJobs.reduce((sum, j) => sum + ((j.data as JobPayload<'llm-call'>).done?.length ?? 0), 0);
    expect(rowsOf('delayed') + rowsOf('completed') + rowsOf('waiting')).toBeGreaterThan(50);
    expect(rowsOf('completed') + answered).toBeLessThanOrEqual(2);
    expect(states.filter((s) => s === 'active')).toEqual([]);
    expect(rowsOf('delayed')).toBeGreaterThan(50);
  });
});
