// A Redis Cluster of local masters for tests (Debian's redis-server and redis-cli): each master on a
// free port, with the settings docs/reliability.md asks for, joined by `redis-cli --cluster create`.
//   node scripts/redis-cluster.mjs start DIR [MASTERS]  prints {"url":"redis-cluster://...","ports":[...]}
//   node scripts/redis-cluster.mjs stop PORT...
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

function isFree(port) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken) {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!taken.has(port) && (await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

function cli(port, ...args) {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
}

async function until(what, check, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`redis cluster: ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(dir, masters = 3) {
  if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status !== 0) {
    throw new Error('redis-server and redis-cli are needed for a test cluster (Debian: apt-get install -y redis-server)');
  }
  const ports = [];
  for (let i = 0; i < masters; i++) ports.push(await freeClusterPort(new Set(ports)));
  for (const port of ports) {
    const nodeDir = resolve(join(dir, String(port)));
    mkdirSync(nodeDir, { recursive: true });
    const settings = ['--dir', nodeDir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
    const started = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--pidfile', join(nodeDir, 'redis.pid'), '--logfile', join(nodeDir, 'redis.log'), ...settings], { stdio: 'inherit' });
    if (started.status !== 0) throw new Error(`redis-server failed to start on ${port}`);
  }
  for (const port of ports) await until(`node ${port} does not answer`, () => cli(port, 'ping').stdout.trim() === 'PONG');
  const created = cli(ports[0], '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes');
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
  for (const port of ports) await until(`node ${port} does not report cluster_state:ok`, () => cli(port, 'cluster', 'info').stdout.includes('cluster_state:ok'));
  return { url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports };
}

export function stopRedisCluster(ports) {
  for (const port of ports) cli(port, 'shutdown', 'nosave');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'start') {
    startRedisCluster(args[0] ?? '.data/redis-cluster', Number(args[1] ?? 3))
      .then((cluster) => console.log(JSON.stringify(cluster)))
      .catch((error) => {
        console.error(error.message);
        process.exit(1);
      });
  } else if (command === 'stop') {
    stopRedisCluster(args.map(Number));
  } else {
    console.error('usage: redis-cluster.mjs start DIR [MASTERS] | stop PORT...');
    process.exit(2);
  }
}
