import { ResultRecordSchema, runKeys, type JobPayload, type Report } from '@datashunt/contracts';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { spamManifest, type SpamRow, startSpamStack, type TestStack, toJsonl } from '../support/stack';

/**
 * A large model that misbehaves: rate limits, server errors, cut-off bodies, slow answers, answers
 * outside the label set, a spent budget, an endpoint that refuses. Each row still ends with a result.
 * One llm worker at a time so the injected faults meet requests in a known order.
 */
describe('large-model faults', () => {
  let stack: TestStack;
  let rows: SpamRow[];
  let llmAdmin: string;

  beforeAll(async () => {
    const started = await startSpamStack({
      env: { LLM_CONCURRENCY: '1', LLM_TIMEOUT_MS: '1500' },
      // A second endpoint on the same server whose path leads nowhere: every request to it gets a 404.
      endpoints: (base) => ({
        default: { baseURL: base, apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: 60_000 },
        refusing: { baseURL: base.replace(/\/v1$/, '/no-such-api/v1'), apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: 60_000 },
      }),
    });
    stack = started.stack;
    rows = started.splits.test;
    llmAdmin = stack.llmUrl.replace(/\/v1$/, '/admin');
  });
  afterAll(() => stack?.dispose());

  async function run(name: string, slice: SpamRow[], over: Parameters<typeof spamManifest>[1] = {}) {
    await stack.put(`datasets/${name}.jsonl`, toJsonl(slice));
    await stack.dropManifest(`manifests/${name}.json`, spamManifest(`datasets/${name}.jsonl`, { name, ...over }));
    const outcome = await stack.watcher.wait(`manifests/${name}.json`, 170_000);
    if (outcome.status !== 'finished') throw new Error(`run ${name} did not finish: ${JSON.stringify(outcome)}`);
    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const report = await getJson<Report>(s3, { bucket, key: keys.report });
    expect(results.map((r) => r.id)).toEqual(slice.map((r) => r.id));
    return { results, report, runId: outcome.runId };
  }

  async function injectFaults(faults: unknown[]) {
    const res = await fetch(`${llmAdmin}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
    expect(res.status).toBeLessThan(300);
  }

  async function remainingFaults(): Promise<unknown[]> {
    const res = await fetch(`${llmAdmin}/stats`);
    return ((await res.json()) as { pendingFaults?: unknown[] }).pendingFaults ?? [];
  }

  it('retries through 429s, 5xx, malformed and slow answers, and flags an off-label answer as unresolved', async () => {
    await injectFaults([
      { kind: 'nonsense', count: 2 },
      { kind: '429', retryAfterSeconds: 1, count: 8 },
      { kind: '500', count: 3 },
      { kind: 'malformed', count: 2 },
      { kind: 'slow', delayMs: 4000, count: 1 },
    ]);
    const { results, report, runId } = await run('faults', rows.slice(0, 300));
    expect(await remainingFaults()).toEqual([]);
    expect(report.fallbackReasons).toEqual({ unresolved: 1 });
    const unresolved = results.find((r) => r.fallbackReason === 'unresolved')!;
    expect(unresolved.source).toBe('fallback');
    expect(unresolved.error).toContain('answer outside the label set');
    expect(unresolved.tokens.input).toBeGreaterThan(0);
    expect(results.filter((r) => r.source === 'large').length).toBeGreaterThan(0);

    // 429s pause the queue without spending attempts: only the 3 + 2 + 1 failed requests cost one each
    // (of the job holding the row: a job groups LLM_ROWS_PER_JOB rows).
    const jobs = await stack.runtime.queues.queue('llm').getJobs(['completed']);
    const ours = jobs.filter((j) => j.data.runId === runId);
    expect(ours.reduce((sum, j) => sum + (j.data as JobPayload<'llm-call'>).rows.length, 0)).toBe(report.bySource.large + report.bySource.fallback);
    const extraAttempts = ours.reduce((sum, j) => sum + j.attemptsMade - 1, 0);
    expect(extraAttempts).toBe(6);
    // The 2 cut-off bodies and the timeout may have been billed: counted apart from confirmed spend.
    // Every request sent is counted: the answered ones, 8 rate-limited, 3 server errors, 3 possibly billed.
    expect(report.requests).toMatchObject({ possiblyPaid: 3 });
    expect(report.requests!.possiblyPaidUsd).toBeGreaterThan(0);
    expect(report.requests!.sent).toBe(report.requests!.paid + 8 + 3 + 3);
  });

  it('answers a replayed row from the cache without paying again', async () => {
    const { report } = await run('replay', rows.slice(0, 300));
    expect(report.largeModelCalls.paid).toBe(0);
    expect(report.largeModelCalls.cached).toBe(report.bySource.large + report.bySource.fallback);
    expect(report.costUsd).toBe(0);
  });

  it('stops calling at the budget cap and falls back, flagged over_budget', async () => {
    const budgetUsd = 0.0006;
    const { results, report } = await run('budget', rows.slice(300, 700), { budgetUsd });
    expect(report.fallbackReasons.over_budget).toBeGreaterThan(0);
    expect(report.costUsd).toBeLessThanOrEqual(budgetUsd);
    expect(report.bySource.large).toBeGreaterThan(0);
    for (const r of results.filter((x) => x.fallbackReason === 'over_budget')) expect(r.cost).toBe(0);
  });

  it('falls back, flagged llm_error, when the endpoint refuses the request', async () => {
    const { results, report } = await run('refused', rows.slice(700, 800), {
      largeModel: { endpoint: 'refusing', model: 'reference-generalist', pricing: { inputPer1M: 1, outputPer1M: 1 }, rateLimitRpm: 60_000 },
    });
    const asked = report.bySource.large + report.bySource.fallback;
    expect(asked).toBeGreaterThan(0);
    expect(report.fallbackReasons).toEqual({ llm_error: asked });
    expect(results.find((r) => r.fallbackReason === 'llm_error')!.error).toMatch(/404/);
  });
});
