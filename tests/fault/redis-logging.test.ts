import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  checkRedisSettings,
  closeWorkers,
  createLogger,
  createRedis,
  createRuntime,
  defineHandler,
  loadConfig,
  runServices,
  startWorkers,
  warnAboutRedisSettings,
  type Runtime,
} from '@datashunt/runtime';
import { startLocalS3, type LocalS3 } from '@datashunt/storage';

interface LogLine {
  level: number;
  msg: string;
}

/** A real pino logger whose lines land in an array; `next(re)` resolves on the first line matching. */
function captureLogs() {
  const lines: LogLine[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: LogLine) => void }> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      const line = JSON.parse(String(chunk)) as LogLine;
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line.msg)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(line);
      done();
    },
  });
  return {
    lines,
    logger: createLogger({ level: 'info', service: 'fault', destination }),
    next: (re: RegExp) => new Promise<LogLine>((resolve) => waiters.push({ re, resolve })),
  };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A private redis-server, resolved once it accepts connections. */
async function startRedis(port: number, dir: string, args: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    child.stdout!.on('data', (data: Buffer) => {
      if (String(data).includes('Ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

describe('Redis settings, outages and stalled jobs in the logs', () => {
  let dir: string;
  let s3: LocalS3;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-redis-log-'));
    s3 = await startLocalS3({ directory: join(dir, 's3') });
  });
  afterAll(async () => {
    for (const child of servers) await stop(child);
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function redisOn(args: string[] = [], port?: number): Promise<{ port: number; child: ChildProcess }> {
    const p = port ?? (await freePort());
    const child = await startRedis(p, dir, args);
    servers.push(child);
    return { port: p, child };
  }

  function configFor(port: number, over: Record<string, string> = {}) {
    return loadConfig({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      QUEUE_PREFIX: 'logt',
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_BUCKET: 'redis-log-test',
      ...over,
    });
  }

  it('warns in one line when AOF is off or keys may be evicted, and says so when CONFIG is refused', async () => {
    const cases: Array<[string[], RegExp | undefined]> = [
      [['--appendonly', 'no'], /^Redis at 127\.0\.0\.1:\d+ is not safe for the queues: appendonly is "no" .*set appendonly yes\)$/],
      [['--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru'], /^Redis at .* is not safe for the queues: maxmemory-policy is "allkeys-lru" \(Redis may evict job keys: set noeviction\)$/],
      [['--appendonly', 'yes', '--rename-command', 'CONFIG', ''], /^could not check Redis persistence settings at .*unknown command.*make sure appendonly is yes and maxmemory-policy is noeviction$/],
      [['--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], undefined],
    ];
    for (const [args, expected] of cases) {
      const { port, child } = await redisOn(args);
      const redis = createRedis({ cluster: false, url: `redis://127.0.0.1:${port}` }, 'worker');
      const { lines, logger } = captureLogs();
      await warnAboutRedisSettings(redis, `127.0.0.1:${port}`, logger);
      if (expected) expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(expected)]);
      else expect(lines).toEqual([]);
      if (args.includes('noeviction')) expect(await checkRedisSettings(redis)).toEqual({ checked: true, problems: [] });
      redis.disconnect();
      await stop(child);
    }
  });

  it('logs one line when Redis goes away and one when it is back, and jobs resume', async () => {
    const { port, child } = await redisOn();
    const { lines, logger, next } = captureLogs();
    const runtime = await createRuntime(configFor(port), 'outage-test', logger);
    const handler = defineHandler({ name: 'finalize-run', handle: async () => ({}) });
    const consoleError = jest.spyOn(console, 'error');
    const services = await runServices(runtime, [{ name: 'finalize', queues: [{ queue: 'finalize', concurrency: 1 }], handlers: [handler] }]);
    // Completed in Redis, not only handled: a completion still in flight would meet the outage.
    const completed = (jobId: string) =>
      new Promise<void>((resolve) => services.workers[0]!.on('completed', (job) => job.id === jobId && resolve()));
    try {
      const beforeDone = completed('before');
      await runtime.queues.add({ name: 'finalize-run', data: { runId: 'before', outputPrefix: 'runs/', shards: 0, ingestJobId: 'ingest' }, opts: { jobId: 'before' } });
      await beforeDone;

      const lost = next(/^lost the connection to Redis/);
      await stop(child);
await lost;
      // Let every client fail several reconnects before Redis comes back.
      let retries = 0;
      await new Promise<void>((resolve) => runtime.redis.on('reconnecting', () => ++retries === 6 && resolve()));
      const back = next(/is back after/);
      servers.push(await startRedis(port, dir));
await back;

      const afterDone = completed('after');
      await runtime.queues.add({ name: 'finalize-run', data: { runId: 'after', outputPrefix: 'runs/', shards: 0, ingestJobId: 'ingest' }, opts: { jobId: 'after' } });
await afterDone;

      expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
        expect.stringMatching(/^Redis at 127\.0\.0\.1:\d+ is not safe for the queues: appendonly is "no"/),
        // Whichever client notices first: a reset of the open connection or a refused reconnect.
        expect.stringMatching(
          new RegExp(`^lost the connection to Redis at 127\\.0\\.0\\.1:${port} \\((read ECONNRESET|connect ECONNREFUSED [\\d.:]+)\\); retrying until it is back: jobs pause meanwhile and resume on their own$`),
        ),
      ]);
      expect(lines.filter((l) => /is back after/.test(l.msg))).toHaveLength(1);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
      await services.stop();
      await runtime.close();
    }
  });

  it('logs a stalled job once, naming its queue and id and what happens next', async () => {
    const { port } = await redisOn();
    const { lines, logger, next } = captureLogs();
    const runtime: Runtime = await createRuntime(configFor(port, { JOB_LOCK_MS: '1000', STALLED_CHECK_MS: '300', REDIS_CHECK_SETTINGS: 'false' }), 'stall-test', logger);
    let started!: () => void;
    const startedOnce = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const hang = new Promise<void>((resolve) => (release = resolve));
    const dead = startWorkers(runtime, [{ queue: 'finalize', concurrency: 1 }], [
      defineHandler({ name: 'finalize-run', handle: async () => (started(), await hang, {}) }),
    ]);
    let rerun!: () => void;
    const ranAgain = new Promise<void>((resolve) => (rerun = resolve));
    try {
      const job = await runtime.queues.add({ name: 'finalize-run', data: { runId: 'stall', outputPrefix: 'runs/', shards: 0, ingestJobId: 'ingest' } });
      await startedOnce;
      // The worker dies mid-job: a forced close stops its lock renewal and leaves the job active.
      await Promise.all(dead.map((w) => w.close(true)));
      const stallLine = next(/stalled/);
      const rescuer = startWorkers(runtime, [{ queue: 'finalize', concurrency: 1 }], [defineHandler({ name: 'finalize-run', handle: async () => (rerun(), {}) })]);
      try {
        const line = await stallLine;
        await ranAgain;
        expect(line.msg).toBe(
          `job ${job.id} (finalize-run) on queue finalize stalled: its worker stopped renewing its 1000 ms lock (crashed or blocked); it is back in the waiting list and runs again`,
        );
        expect(lines.filter((l) => /stalled/.test(l.msg))).toHaveLength(1);
      } finally {
        await closeWorkers(rescuer, 5_000);
      }
    } finally {
      release();
      await runtime.close();
    }
  });
});
