import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts a real service process with the given settings and collects how it ends. */
async function startIngest(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['services/ingest/dist/main.js'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, stdout };
}

/** Expected start-up failures end the process with 1 and one line naming the setting, never a stack trace. */
describe('start-up errors', () => {
  it('names S3_ENDPOINT when it has no scheme', async () => {
    const { code, stderr } = await startIngest({ S3_ENDPOINT: 'localhost:9000' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ingest: cannot start: invalid configuration:.*S3_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/)]);
  }, 60_000);

  it('refuses a Redis Cluster with a queue prefix that has no hash tag, in one line naming the fix', async () => {
    const { code, stderr } = await startIngest({ REDIS_URL: 'redis-cluster://127.0.0.1:7000,127.0.0.1:7001', QUEUE_PREFIX: 'ds' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([`ingest: cannot start: QUEUE_PREFIX "ds" has no hash tag, which a Redis Cluster needs to keep each flow's queue keys in one slot: set QUEUE_PREFIX={ds}`]);
  }, 60_000);

  it('names the Redis that did not answer and REDIS_URL', async () => {
    const port = await closedPort();
    const { code, stderr } = await startIngest({ REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`ingest: cannot start: Redis at 127.0.0.1:${port} did not answer: start it there, or set REDIS_URL to one that runs`);
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('names the S3 endpoint that refused the bucket', async () => {
    const port = await closedPort();
    const { code, stderr } = await startIngest({ S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_ACCESS_KEY_ID: 'x', S3_SECRET_ACCESS_KEY: 'y', QUEUE_PREFIX: '{startup-errors}' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^ingest: cannot start: S3 at http://127.0.0.1:${port} refused bucket ".+": .*; check S3_ENDPOINT, S3_BUCKET and the S3 credentials$`));
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 120_000);
});
