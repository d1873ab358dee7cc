// Starts a local redis-server when none answers on REDIS_URL's port, and says what to do when none is installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function ensureRedis() {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await answers(host, port)) return;
  if (!['127.0.0.1', 'localhost'].includes(host)) throw new Error(`Redis at ${url.host} does not answer`);
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) {
    throw new Error('redis-server is not installed: install it (Debian: apt-get install -y redis-server) or set REDIS_URL');
  }
  // The settings docs/reliability.md asks for: an append-only file under .data/ (a restart loses no
  // queued job or budget) and no eviction (an evicted job key would stall its run).
  const dir = resolve('.data/redis');
  mkdirSync(dir, { recursive: true });
  const settings = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'];
  const started = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), ...settings], { stdio: 'inherit' });
  if (started.status !== 0) throw new Error('redis-server failed to start');
  for (let i = 0; i < 50 && !(await answers(host, port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await answers(host, port))) throw new Error(`redis-server started but does not answer on ${port}`);
  console.log(`started redis-server on ${host}:${port} (append-only file in ${dir})`);
}

// Run directly (`node scripts/ensure-redis.mjs`) by the quick-start scripts.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  ensureRedis().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
