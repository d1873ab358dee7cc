import { Job, QueueEvents } from 'bullmq';
import { jobId, manifestIdentity, ReportSchema, ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { getJson, headObject, readAllJsonl } from '@datashunt/storage';
import { spamManifest, startSpamStack, type TestStack, toJsonl } from '../support/stack';
import { bullConnection } from '@datashunt/runtime';

const ROWS = 300;

/**
 * S3 goes down while ingest plans a run and stays down past the outage window (2 s here), so ingest
 * gives up. The manifest must not be forgotten: once S3 is back, the next announcement (or sweep) of it
 * plans it again, and the run ends with one result per row.
 */
describe('ingest giving up in an outage', () => {
  let stack: TestStack;
  let ingest: QueueEvents | undefined;

  beforeAll(async () => {
    const started = await startSpamStack({ env: { OUTAGE_RETRY_WINDOW_MS: '2000' } });
    stack = started.stack;
    await stack.put('datasets/ingest-outage.jsonl', toJsonl(started.splits.test.slice(0, ROWS)));
  });
  afterAll(async () => {
    await ingest?.close();
    await stack?.dispose();
  });

  it('plans the manifest again when it is seen after the outage', async () => {
    ingest = new QueueEvents('ingest', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    await ingest.waitUntilReady();
    const key = 'manifests/ingest-outage.json';
    const { s3, bucket } = stack.runtime;
    const queue = stack.runtime.queues.queue('ingest');
    const active = new Promise<void>((resolve) => ingest!.once('active', () => resolve()));
    const gaveUp = new Promise<void>((resolve) => {
      ingest!.on('failed', async ({ jobId: id }) => {
        const job = await Job.fromId(queue, id);
        if (job && (await job.getState()) === 'failed') resolve();
      });
    });
    await stack.dropManifest(key, spamManifest('datasets/ingest-outage.jsonl', { name: 'ingest-outage', shardSize: 50 }));
    const etag = (await headObject(s3, { bucket, key }))!.etag;
    await active;
    await stack.stopS3();
    await gaveUp;
    const job = await Job.fromId(queue, jobId('manifest-ingest', manifestIdentity({ bucket, key, etag })));
    expect(await job!.getState()).toBe('failed');
    await stack.startS3();

    await stack.announce(key);
    const outcome = await stack.watcher.wait(key, 300_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;
    const keys = runKeys('runs/', outcome.runId);
    const report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    expect(report).toMatchObject({ rows: ROWS, results: ROWS, rejects: 0, unfinishedRows: 0 });
    expect(report.status).not.toBe('failed');
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    expect(new Set(results.map((r) => r.line)).size).toBe(ROWS);
  }, 400_000);
});
