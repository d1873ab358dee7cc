import { ReportSchema, ResultRecordSchema, runKeys, type Report, type ResultRecord } from '@datashunt/contracts';
import type { GuaranteeOutcome, PartSummary, RunPlan } from '@datashunt/runs';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { spamManifest, startSpamStack, toJsonl, type TestStack } from '../support/stack';

const ROWS = 1_000;
const T = 0.9;

/**
 * A run with delta target "guarantee": every shard is scored, the sampling phase buys large answers
 * in rounds of llm-calls, and the router applies the threshold found. A large-only run over the same
 * rows afterwards gives every row's large answer, to check the promise on this run.
 */
describe('a run with delta target guarantee', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const started = await startSpamStack();
    stack = started.stack;
    await stack.put('datasets/guarantee.jsonl', toJsonl(started.splits.test.slice(0, ROWS)));
  });
  afterAll(() => stack?.dispose());

  const run = async (name: string, over: Parameters<typeof spamManifest>[1]) => {
    await stack.dropManifest(`manifests/${name}.json`, spamManifest('datasets/guarantee.jsonl', { name, ...over }));
    const outcome = await stack.watcher.wait(`manifests/${name}.json`, 400_000);
    if (outcome.status !== 'finished') throw new Error(`run ${name} did not finish: ${JSON.stringify(outcome)}`);
    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const report: Report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    return { report, results, keys };
  };
  /** Every row's large answer, by line, from the large-only run of the first test. */
  let largeByLine: Map<number, ResultRecord>;
  const completions = async () => ((await (await fetch(`${stack.llmUrl.replace(/\/v1$/, '/admin')}/stats`)).json()) as { completions: number }).completions;

  it('samples each row once, routes at the threshold it found, reports it, and agrees with the large model on at least T of the rows', async () => {
    const { report, results, keys } = await run('guarantee', { delta: { target: 'guarantee', T, alpha: 0.1 }, shardSize: 250 });
    const { s3, bucket } = stack.runtime;
    const chosen = await getJson<GuaranteeOutcome>(s3, { bucket, key: keys.guarantee });
    // Lines count from each shard's first: a sampled row's line in results follows the shards before it.
    const { shards } = await getJson<RunPlan>(s3, { bucket, key: keys.state });
    const linesBefore = [0];
    for (let shard = 0; shard + 1 < shards; shard++) linesBefore.push(linesBefore[shard]! + (await getJson<PartSummary>(s3, { bucket, key: keys.partTally(shard) })).lines);
    const sampledLines = chosen.sampled.map(({ shard, line }) => linesBefore[shard]! + line);
    expect(shards).toBeGreaterThan(1);

    expect(report.status).toBe('succeeded');
    expect(report.results).toBe(ROWS);
    expect(new Set(results.map((r) => r.line)).size).toBe(ROWS);
    const source = report.deltaSource;
    if (source.kind !== 'guarantee') throw new Error(`expected the guarantee as the delta's source, got ${source.kind}`);
    expect(source).toMatchObject({ target: { target: 'guarantee', T, alpha: 0.1 }, method: 'bargain', population: ROWS, rowsSampled: sampledLines.length });
    expect(source.rowsSampled).toBeGreaterThan(0);
    expect(source.rowsAsked).toBe(source.rowsSampled);
    expect(source.threshold).not.toBeNull();
    expect(report.delta).toBe(source.threshold);

    // Sampled rows keep the large answers bought for them; the rest are routed at the threshold.
    const byLine = new Map(results.map((r) => [r.line, r]));
    const sampled = new Set(sampledLines);
    // Paid during sampling (not a cache hit), and counted once.
    expect(sampledLines.map((line) => [byLine.get(line)!.source, byLine.get(line)!.cached ?? false])).toEqual(sampledLines.map(() => ['large', false]));
    const notSampled = results.filter((r) => !sampled.has(r.line));
    expect(notSampled.filter((r) => r.source === 'small').every((r) => r.c_s1 >= source.threshold!)).toBe(true);
    expect(notSampled.filter((r) => r.source !== 'small').every((r) => r.c_s1 < source.threshold!)).toBe(true);
    expect(report.bySource.small).toBeGreaterThan(0);
    expect(report.bySource.fallback ?? 0).toBe(0);

    // No row was paid twice: one completion per row the large model answered, sampling included.
    const asked = results.filter((r) => r.source === 'large').length;
    expect(await completions()).toBe(asked);
    expect(report.requests!.paid).toBe(asked);
    expect(report.largeModelCalls.paid).toBe(asked);

    // Every row's large answer: the sampled rows and the rows routed large hit the response cache
    // (the sampling prompt is the router's prompt), so only the small side's rows are paid now.
    const large = await run('guarantee-large-only', { strategy: 'large-only' });
    expect(large.report.bySource.large).toBe(ROWS);
    expect(await completions()).toBe(ROWS);
    largeByLine = new Map<number, ResultRecord>(large.results.map((r) => [r.line, r]));
    for (const line of sampled) expect(largeByLine.get(line)!.cached).toBe(true);

    const agree = results.filter((r) => r.label === largeByLine.get(r.line)!.label).length;
    console.info(`guarantee run: threshold ${source.threshold}, ${source.rowsSampled} rows sampled, query share ${report.queryProportion}, agreement with large-only ${agree / ROWS}`);
    expect(agree / ROWS).toBeGreaterThanOrEqual(T);
  }, 900_000);

  it('sends every row to the large model when no threshold can be certified (recall of spam on 1,000 rows), and says so', async () => {
    const { report, results } = await run('guarantee-recall', { delta: { target: 'guarantee', T: 0.8, metric: 'recall', label: 'spam' }, shardSize: 250 });
    expect(report.status).toBe('succeeded');
    // Recall moves only with the positives, so certifying it takes more draws than a step may buy here.
    expect(report.deltaSource).toMatchObject({ kind: 'guarantee', target: { metric: 'recall', label: 'spam', T: 0.8 }, threshold: null, reason: expect.stringMatching(/no threshold could be certified for recall of "spam"/) });
    expect(report.delta).toBe(1);
    expect(report.bySource).toMatchObject({ small: 0, large: ROWS });
    const spam = results.filter((r) => largeByLine.get(r.line)!.label === 'spam');
    expect(spam.length).toBeGreaterThan(50);
    expect(spam.every((r) => r.label === 'spam')).toBe(true);
    // No new rows were paid: the first run and the large-only run already asked every row.
    expect(await completions()).toBe(ROWS);
  }, 600_000);

  it('refuses the guarantee target with a strategy that has no threshold, or for a class the task lacks, with error.json', async () => {
    await stack.dropManifest('manifests/guarantee-small-only.json', spamManifest('datasets/guarantee.jsonl', { name: 'guarantee-small-only', strategy: 'small-only', delta: { target: 'guarantee' } }));
    const outcome = await stack.watcher.wait('manifests/guarantee-small-only.json', 60_000);
    expect(outcome).toMatchObject({ status: 'invalid', message: expect.stringContaining('delta target "guarantee" chooses where strategy "shunt" routes') });
    await stack.dropManifest('manifests/guarantee-no-class.json', spamManifest('datasets/guarantee.jsonl', { name: 'guarantee-no-class', delta: { target: 'guarantee', metric: 'precision', label: 'eggs' } }));
    expect(await stack.watcher.wait('manifests/guarantee-no-class.json', 60_000)).toMatchObject({ status: 'invalid', message: expect.stringContaining('delta.label "eggs" is not one of the task\'s labels') });
  }, 120_000);
});
