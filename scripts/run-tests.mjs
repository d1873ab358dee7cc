// The one test command: ensures Redis, runs the unit suites in parallel and the integration suites one
// file at a time (they share Redis and ports), and ends with the line CI reads: "N passed, N failed".
// DATASHUNT_TEST_REDIS=cluster runs them against a fresh 3-master Redis Cluster instead of one Redis.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedis } from './ensure-redis.mjs';
import { startRedisCluster, stopRedisCluster } from './redis-cluster.mjs';

let cluster;
if (process.env.DATASHUNT_TEST_REDIS === 'cluster') {
  cluster = await startRedisCluster(mkdtempSync(join(tmpdir(), 'ds-cluster-')));
  process.env.REDIS_URL = cluster.url;
  console.log(`integration tests run against the Redis Cluster ${cluster.url}`);
} else {
  await ensureRedis();
}
mkdirSync('.test-results', { recursive: true });
const jest = 'node_modules/.bin/jest';
const extra = process.argv.slice(2);
// --forceExit: a test that times out can leave its stack's workers retrying; they must not hold the
// run open once every suite has reported.
const runs = [
  ['unit', ['--selectProjects', 'unit', '--maxWorkers', '2', '--forceExit']],
  ['integration', ['--selectProjects', 'integration', '--runInBand', '--forceExit']],
];
let passed = 0;
let failed = 0;
let exitCode = 0;
for (const [name, args] of runs) {
  const out = `.test-results/${name}.json`;
  const result = spawnSync(jest, [...args, '--json', '--outputFile', out, ...extra], { stdio: 'inherit' });
  try {
    const summary = JSON.parse(readFileSync(out, 'utf8'));
    passed += summary.numPassedTests;
    failed += summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  } catch {
    failed += 1;
    console.error(`${name}: jest wrote no results (exit ${result.status})`);
  }
  if (result.status !== 0) exitCode = 1;
}
if (cluster) stopRedisCluster(cluster.ports);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
