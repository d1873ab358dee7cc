import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportSchema, ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { RunProgress } from '@datashunt/runs';
import { isCluster, loadConfig, ownKeyPrefix } from '@datashunt/runtime';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { keysMatching } from '../support/redis';
import { spamManifest, startSpamStack, toJsonl, type SpamRow, type TestStack } from '../support/stack';

/** A real run on a 3-master Redis Cluster (scripts/redis-cluster.mjs), whatever Redis the other suites use. */
describe('the pipeline on a Redis Cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ds-cluster-it-'));
  let cluster: { url: string; ports: number[] } | undefined;
  let stack: TestStack;
  let rows: SpamRow[];

  beforeAll(async () => {
    const run = spawnSync('node', ['scripts/redis-cluster.mjs', 'start', dir, '3'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`test cluster did not start: ${run.stderr}`);
    cluster = JSON.parse(run.stdout) as { url: string; ports: number[] };
    const spam = await startSpamStack({ env: { REDIS_URL: cluster.url } });
    stack = spam.stack;
    rows = spam.splits.test.slice(0, 300);
  });
  afterAll(async () => {
    await stack?.dispose();
    if (cluster) spawnSync('node', ['scripts/redis-cluster.mjs', 'stop', ...cluster.ports.map(String)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a queue prefix without a hash tag at start-up, naming the fix', () => {
    expect(() => loadConfig({ REDIS_URL: cluster!.url, QUEUE_PREFIX: 'ds' })).toThrow(/^QUEUE_PREFIX "ds" has no hash tag, .*: set QUEUE_PREFIX=\{ds\}$/);
  });

  it('ends every row as one result, with the queues in the prefix tag\'s slot and runs\' own keys in theirs', async () => {
    await stack.put('datasets/cluster.jsonl', toJsonl(rows));
    await stack.dropManifest('manifests/cluster.json', spamManifest('datasets/cluster.jsonl', { delta: 0.999 }));
    const outcome = await stack.watcher.wait('manifests/cluster.json', 170_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;

    const { s3, bucket, redis } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));
    expect(results.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(report.bySource.small).toBeGreaterThan(0);
    expect(report.bySource.large).toBeGreaterThan(0);
    expect(report.bySource.fallback).toBe(0);
    expect(report.largeModelCalls.paid).toBe(report.bySource.large);
    const progress = await new RunProgress(redis, ownKeyPrefix(stack.config.QUEUE_PREFIX)).read(outcome.runId);
    expect(progress).toMatchObject({ rows: rows.length, routed: rows.length, answered: progress!.hard });

    expect(isCluster(redis)).toBe(true);
    const slotOf = async (key: string) => Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    const queueKeys = await keysMatching(redis, `${stack.config.QUEUE_PREFIX}:*`);
    expect(queueKeys.length).toBeGreaterThan(10);
    expect(new Set(await Promise.all(queueKeys.map(slotOf)))).toEqual(new Set([await slotOf(stack.config.QUEUE_PREFIX)]));
    const runKeysInRedis = await keysMatching(redis, `${ownKeyPrefix(stack.config.QUEUE_PREFIX)}*{${outcome.runId}}*`);
    expect(runKeysInRedis.length).toBeGreaterThan(2);
    expect(new Set(await Promise.all(runKeysInRedis.map(slotOf)))).toEqual(new Set([await slotOf(`{${outcome.runId}}`)]));
  });
});
