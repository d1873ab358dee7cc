import { QueueEvents } from 'bullmq';
import { jobId, manifestIdentity, ReportSchema, ResultRecordSchema, runKeys, type Report } from '@datashunt/contracts';
import { deleteObject, getJson, headObject, readAllJsonl } from '@datashunt/storage';
import { bullConnection, ownKeyPrefix } from '@datashunt/runtime';
import { deleteKeys } from '../support/redis';
import { spamManifest, type SpamRow, startSpamStack, type TestStack, toJsonl } from '../support/stack';

const GOOD_KEY = 'sk-fail-loud-accepted';

/**
 * A run that cannot do its job must say so: bad keys, missing or mismatched small models, inputs that
 * are all garbage. And a manifest version that already ran is never run (and paid) again because
 * Redis forgot it.
 */
describe('runs fail loud, and S3 decides what already ran', () => {
  let stack: TestStack;
  let rows: SpamRow[];
  let llmAdmin: string;

  beforeAll(async () => {
    const started = await startSpamStack({
      referenceApiKey: GOOD_KEY,
      env: { OPENAI_API_KEY: GOOD_KEY, WRONG_KEY: 'sk-not-issued' },
      endpoints: (base) => ({
        default: { baseURL: base, apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: 60_000 },
        'bad-key': { baseURL: base, apiKeyEnv: 'WRONG_KEY', maxRequestsPerMinute: 60_000 },
      }),
    });
    stack = started.stack;
    rows = started.splits.test;
    llmAdmin = stack.llmUrl.replace(/\/v1$/, '/admin');
  });
  afterAll(() => stack?.dispose());

  const stats = async () => (await fetch(`${llmAdmin}/stats`)).json() as Promise<{ requests: number; unauthorized: number }>;

  async function drop(name: string, body: string, over: Parameters<typeof spamManifest>[1] = {}) {
    await stack.put(`datasets/${name}.jsonl`, body);
    const key = `manifests/${name}.json`;
    await stack.dropManifest(key, spamManifest(`datasets/${name}.jsonl`, { name, ...over }));
    return stack.watcher.wait(key, 170_000);
  }

  async function finishedReport(outcome: Awaited<ReturnType<typeof drop>>): Promise<Report> {
    if (outcome.status !== 'finished') throw new Error(`expected a finished run: ${JSON.stringify(outcome)}`);
    return ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.reportKey }));
  }

  it('fails a run whose endpoint answers 401, and stops calling it after the first refusals', async () => {
    const slice = rows.slice(0, 300);
    const before = await stats();
    const report = await finishedReport(await drop('bad-key', toJsonl(slice), { delta: 0.9999, largeModel: { endpoint: 'bad-key', model: 'reference-generalist', pricing: { inputPer1M: 1, outputPer1M: 1 } } }));
    expect(report.status).toBe('failed');
    expect(report.failure).toMatch(/endpoint refused the run: .*401/);
    const hard = report.bySource.fallback;
    expect(hard).toBeGreaterThan(100);
    const refused = (await stats()).unauthorized - before.unauthorized;
    expect(refused).toBeGreaterThan(0);
    // Only calls already in flight when the breaker tripped reached the endpoint.
    expect(refused).toBeLessThan(hard / 3);
  });

  it('refuses a manifest whose small model does not exist, or reads another kind of input, with error.json and no shards', async () => {
    const missing = await drop('no-model', toJsonl(rows.slice(0, 5)), { smallModel: { name: 'no-such-model' } });
    expect(missing).toMatchObject({ status: 'invalid', message: expect.stringContaining('smallModel.name') });
    const image = await drop('image-task', toJsonl(rows.slice(0, 5)), { task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'x', inputKind: 'image' } });
    expect(image).toMatchObject({ status: 'invalid', message: expect.stringContaining('set task.inputKind to "text"') });
    const labels = await drop('other-labels', toJsonl(rows.slice(0, 5)), { task: { type: 'classification', labels: ['ham', 'phishing'], instruction: 'x' } });
    expect(labels).toMatchObject({ status: 'invalid', message: expect.stringContaining('not known to the model: phishing') });
  });

  it('maps labels listed in another order by name instead of rejecting every row', async () => {
    const slice = rows.slice(300, 400);
    const outcome = await drop('reordered', toJsonl(slice), { task: { type: 'classification', labels: ['spam', 'ham'], instruction: 'Is this e-mail spam or ham (legitimate)?' } });
    const report = await finishedReport(outcome);
    expect(report.rejects).toBe(0);
    expect(report.accuracy!.overall.accuracy).toBeGreaterThan(0.85);
  });

  it('fails a run whose every row is rejected', async () => {
    const report = await finishedReport(await drop('garbage', 'not json\n{"id":1}\n\u0000\u0001binary\n'));
    expect(report.status).toBe('failed');
    expect(report.failure).toMatch(/all 3 rows were rejected/);
  });

  it('does not run a finished manifest version again when Redis forgot it', async () => {
    const slice = rows.slice(400, 500);
    const first = await drop('once', toJsonl(slice), { delta: 0.9999 });
    const report = await finishedReport(first);
    expect(report.bySource.large).toBeGreaterThan(10);
    const requestsBefore = (await stats()).requests;
    // What a Redis without persistence forgets: the manifest-seen markers and every job.
    const { redis } = stack.runtime;
    await deleteKeys(redis, `${ownKeyPrefix(stack.config.QUEUE_PREFIX)}manifest-seen:*`);
    await stack.runtime.queues.queue('ingest').obliterate({ force: true });

    const key = 'manifests/once.json';
    const events = new QueueEvents('ingest', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      await stack.announce(key);
      const etag = (await headObject(stack.runtime.s3, { bucket: stack.runtime.bucket, key }))!.etag;
      const job = await stack.runtime.queues.queue('ingest').getJob(jobId('manifest-ingest', manifestIdentity({ bucket: stack.runtime.bucket, key, etag })));
      expect(await job!.waitUntilFinished(events, 60_000)).toMatchObject({ status: 'already-finished', runId: report.runId });
    } finally {
      await events.close();
    }
    const reportAfter = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', report.runId).report }));
    expect(reportAfter.finishedAt).toBe(report.finishedAt);
    expect((await stats()).requests).toBe(requestsBefore);
    const results = await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', report.runId).results });
    expect(results.map((r) => ResultRecordSchema.parse(r).id)).toEqual(slice.map((r) => r.id));
  });

  it('pays no answer twice when Redis loses a half-done run, and still counts every answer it paid for', async () => {
    const slice = rows.slice(500, 650);
    const first = await finishedReport(await drop('wiped', toJsonl(slice), { delta: 0.9999 }));
    expect(first.largeModelCalls.paid).toBeGreaterThan(50);
    const completionsBefore = ((await stats()) as unknown as { completions: number }).completions;
    // The run as Redis loses it mid-way: no report yet, and no cache, spend, markers or jobs in Redis.
    const { s3, bucket } = stack.runtime;
    await deleteObject(s3, { bucket, key: runKeys('runs/', first.runId).report });
    const { redis } = stack.runtime;
    for (const pattern of ['llm-cache:*', `llm-budget:{${first.runId}}`, 'manifest-seen:*']) {
      await deleteKeys(redis, `${ownKeyPrefix(stack.config.QUEUE_PREFIX)}${pattern}`);
    }
    for (const queue of stack.runtime.queues.allQueues()) await queue.obliterate({ force: true });

    // The watcher remembers the first run's end, so the rerun's end is read from finalize's own events.
    const finalizeEvents = new QueueEvents('finalize', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    await finalizeEvents.waitUntilReady();
    const finalized = new Promise<void>((resolve) =>
      finalizeEvents.on('completed', ({ returnvalue }) => (returnvalue as unknown as { runId?: string })?.runId === first.runId && resolve()),
    );
    await stack.announce('manifests/wiped.json');
    await finalized;
    await finalizeEvents.close();
    const rerun = ReportSchema.parse(await getJson(s3, { bucket, key: runKeys('runs/', first.runId).report }));
    expect(rerun.finishedAt).not.toBe(first.finishedAt);
    // Nothing is asked again, and the answers it paid for before are still the run's: found in its
    // answer log, they are counted again (report and budget meter) instead of passing for cached.
    expect(((await stats()) as unknown as { completions: number }).completions).toBe(completionsBefore);
    expect(rerun.largeModelCalls).toEqual(first.largeModelCalls);
    expect(rerun.costUsd).toBeCloseTo(first.costUsd, 9);
    expect(rerun.requests).toMatchObject({ paid: first.requests!.paid, sent: first.requests!.sent });
    expect(rerun.accuracy).toEqual(first.accuracy);
  });
});
