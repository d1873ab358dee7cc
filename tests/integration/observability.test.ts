import { randomBytes } from 'node:crypto';
import { dashboardService } from '@datashunt/dashboard';
import { bullConnection, createRuntime, defineHandler, loadConfig, portOf, runServices, serveMetrics, type Runtime } from '@datashunt/runtime';
import { startLocalS3, type LocalS3 } from '@datashunt/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';

/** What an operator watches: Bull Board over the catalog's queues, and Prometheus metrics per process. */
describe('observability', () => {
  let s3: LocalS3;
  let dir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-obs-'));
    s3 = await startLocalS3({ directory: dir });
    const config = loadConfig({
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_BUCKET: 'datashunt-obs',
      QUEUE_PREFIX: `{obs${randomBytes(4).toString('hex')}}`,
      DASHBOARD_PORT: '0',
      DASHBOARD_PASSWORD: 'observability-test',
      LOG_LEVEL: 'silent',
    });
    runtime = await createRuntime(config, 'obs-test');
  });
  afterAll(async () => {
    await runtime.close();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves Bull Board listing every queue of the catalog', async () => {
    const dashboard = dashboardService(runtime);
    const running = await runServices(runtime, [dashboard]);
    try {
      const headers = { authorization: `Basic ${Buffer.from('viewer:observability-test').toString('base64')}` };
      const page = await fetch(dashboard.url()!, { headers });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const api = (await (await fetch(`${dashboard.url()}api/queues`, { headers })).json()) as { queues: Array<{ name: string }> };
      expect(api.queues.map((q) => q.name).sort()).toEqual(['distill', 'finalize', 'ingest', 'llm', 'route', 'score']);
    } finally {
      await running.stop();
    }
  });

  it('counts processed jobs and exports queue depths for autoscaling', async () => {
    const sweep = defineHandler({ name: 'manifest-sweep', handle: async () => ({ listed: 0, started: 0 }) });
    const ingest = defineHandler({ name: 'manifest-ingest', handle: async () => 'not used here' });
    const running = await runServices(runtime, [{ name: 'probe', queues: [{ queue: 'ingest', concurrency: 1 }], handlers: [sweep, ingest] }]);
    const events = new QueueEvents('ingest', { connection: bullConnection(runtime.config.redis, runtime.redis), prefix: runtime.config.QUEUE_PREFIX });
    const server = await serveMetrics(0, runtime.metrics, runtime.queues.allQueues());
    try {
      await events.waitUntilReady();
      const job = await runtime.queues.add({ name: 'manifest-sweep', data: {} });
      await job.waitUntilFinished(events, 30_000);
      await runtime.queues.queue('score').add('score-shard', { runId: 'r', outputPrefix: 'runs/', shard: 0, rows: 1 });
      const text = await (await fetch(`http://127.0.0.1:${portOf(server)}/metrics`)).text();
      expect(text).toMatch(/datashunt_jobs_total\{queue="ingest",job_name="manifest-sweep",outcome="completed",error_type=""\} 1/);
      expect(text).toMatch(/datashunt_queue_jobs\{queue="score",state="waiting"\} 1/);
    } finally {
      server.close();
      await events.close();
      await running.stop();
    }
  });
});
