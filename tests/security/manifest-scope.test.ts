import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runKeys } from '@datashunt/contracts';
import { getBytes, getJson, listObjects } from '@datashunt/storage';
import { ownKeyPrefix, type RedisClient } from '@datashunt/runtime';
import { keysMatching } from '../support/redis';
import { spamManifest, type SpamRow, startSpamStack, type TestStack, toJsonl } from '../support/stack';

const API_KEY = 'sk-security-suite-7f3a9c2e51d04b8a';

/**
 * Manifests written by someone who should not be trusted: each tries to send the key elsewhere, read
 * objects it has no business reading, or write outside its prefix. Every one must be refused with its
 * own error.json, the listener must hear nothing, and after a real run no key or row text may be
 * left in logs, Redis or the run's outputs.
 */
describe('security: manifests cannot move keys, read or write outside their scope', () => {
  let stack: TestStack;
  let rows: SpamRow[];
  const logLines: string[] = [];
  const heard: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
  let listener: Server;
  let listenerUrl: string;

  beforeAll(async () => {
    listener = createServer((req, res) => {
      heard.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'spam' } }] }));
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/v1`;
    const started = await startSpamStack({ env: { OPENAI_API_KEY: API_KEY }, logLines });
    stack = started.stack;
    rows = started.splits.test;
    await stack.put('datasets/ok.jsonl', toJsonl(rows.slice(0, 20)));
  });
  afterAll(async () => {
    await stack?.dispose();
    await new Promise((resolve) => listener?.close(resolve));
  });

  const base = () => spamManifest('datasets/ok.jsonl');
  type Case = [string, string, (m: ReturnType<typeof base>) => unknown];
  const cases: Case[] = [
    ['raw-baseurl', 'largeModel.baseURL', (m) => ({ ...m, largeModel: { ...m.largeModel, baseURL: listenerUrl } })],
    ['file-url', 'largeModel.baseURL', (m) => ({ ...m, largeModel: { ...m.largeModel, baseURL: 'file:///etc/passwd' } })],
    ['javascript-url', 'largeModel.baseURL', (m) => ({ ...m, largeModel: { ...m.largeModel, baseURL: 'javascript:alert(1)' } })],
    ['data-url', 'largeModel.baseURL', (m) => ({ ...m, largeModel: { ...m.largeModel, baseURL: 'data:text/plain,x' } })],
    ['unknown-endpoint', 'largeModel.endpoint', (m) => ({ ...m, largeModel: { ...m.largeModel, endpoint: 'exfil' } })],
    ['api-key-field', 'largeModel.apiKey', (m) => ({ ...m, largeModel: { ...m.largeModel, apiKey: 'sk-mine' } })],
    ['dotdot-input', 'input.uri', (m) => ({ ...m, input: { uri: '../other-bucket/key' } })],
    ['foreign-bucket', 'input.uri', (m) => ({ ...m, input: { uri: 's3://other-bucket/datasets/ok.jsonl' } })],
    ['model-file-input', 'input.uri', (m) => ({ ...m, input: { uri: 'models/spam-text/pointers/specific.json' } })],
    ['manifest-input', 'input.uri', (m) => ({ ...m, input: { uri: 'manifests/manifest-input.json' } })],
    ['outside-datasets', 'input.uri', (m) => ({ ...m, input: { uri: 'private/hr.jsonl' } })],
    ['http-input', 'input.uri', (m) => ({ ...m, input: { uri: 'http://127.0.0.1/x.jsonl' } })],
    ['escape-output', 'output.prefix', (m) => ({ ...m, output: { prefix: '../../../../outside/' } })],
    ['models-output', 'output.prefix', (m) => ({ ...m, output: { prefix: 'models/' } })],
    ['manifests-output', 'output.prefix', (m) => ({ ...m, output: { prefix: 'manifests/' } })],
    ['absolute-output', 'output.prefix', (m) => ({ ...m, output: { prefix: '/abs/' } })],
    ['other-bucket-output', 'output.prefix', (m) => ({ ...m, output: { prefix: 's3://other/' } })],
    ['empty-output', 'output.prefix', (m) => ({ ...m, output: { prefix: '' } })],
    ['registry-escape', 'smallModel.version', (m) => ({ ...m, smallModel: { name: 'spam-text', version: '../../runs' } })],
    ['above-ceiling', 'largeModel.rateLimitRpm', (m) => ({ ...m, largeModel: { ...m.largeModel, rateLimitRpm: 10_000_000 } })],
  ];

  it.each(cases)('refuses the manifest %s with an error.json naming %s', async (name, path, mutate) => {
    const key = `manifests/${name}.json`;
    const modelsBefore = await objectKeys('models/');
    await stack.dropManifest(key, mutate(base()));
    const outcome = await stack.watcher.wait(key, 60_000);
    expect(outcome.status).toBe('invalid');
    if (outcome.status !== 'invalid') return;
    const error = await getJson<{ manifestKey: string; issues: Array<{ path: string; message: string }> }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.errorKey });
    expect(error.manifestKey).toBe(key);
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(await objectKeys('models/')).toEqual(modelsBefore);
  });

  it('sent nothing to the listener, and wrote nothing outside the S3 data folder', () => {
    expect(heard).toEqual([]);
    const s3Dir = join(stack.dir, 's3');
    expect(existsSync(join(dirname(s3Dir), 'outside'))).toBe(false);
    expect(readdirSync(s3Dir).sort()).toEqual([stack.runtime.bucket]);
  });

  it('leaves no key in logs, Redis or outputs, and no row text in Redis after a run with hard rows', async () => {
    const slice = rows.slice(100, 400);
    await stack.put('datasets/scan.jsonl', toJsonl(slice));
    await stack.dropManifest('manifests/scan.json', spamManifest('datasets/scan.jsonl', { name: 'scan', delta: 0.999 }));
    const outcome = await stack.watcher.wait('manifests/scan.json', 170_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;
    const report = await getJson<{ largeModelCalls: { paid: number } ; bySource: { large: number } }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.reportKey });
    expect(report.bySource.large).toBeGreaterThan(10);

    const redisText = await dumpRedis(stack.runtime.redis, [`${stack.config.QUEUE_PREFIX}*`, `${ownKeyPrefix(stack.config.QUEUE_PREFIX)}*`]);
    expect(redisText.length).toBeGreaterThan(1000);
    expect(redisText).not.toContain(API_KEY);
    // Long stretches of each row's text: short ones could occur by chance in ids or labels.
    const snippets = slice.map((r) => r.input).filter((t) => t.length >= 80).map((t) => JSON.stringify(t.slice(20, 70)).slice(1, -1));
    expect(snippets.length).toBeGreaterThan(50);
    expect(snippets.filter((s) => redisText.includes(s))).toEqual([]);

    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(10);
    expect(logs).not.toContain(API_KEY);
    expect(snippets.filter((s) => logs.includes(s))).toEqual([]);

    for (const key of await objectKeys(runKeys('runs/', outcome.runId).root)) {
      expect((await getBytes(stack.runtime.s3, { bucket: stack.runtime.bucket, key })).toString('utf8')).not.toContain(API_KEY);
    }
  });

  async function objectKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listObjects(stack.runtime.s3, stack.runtime.bucket, prefix)) keys.push(o.key);
    return keys.sort();
  }
});

/** Every value under the patterns (the queues' keys and our own), whatever its Redis type, as one string to search. */
async function dumpRedis(redis: RedisClient, patterns: string[]): Promise<string> {
  const parts: string[] = [];
  for (const pattern of patterns) {
    for (const key of await keysMatching(redis, pattern)) {
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  }
  return parts.join('\n');
}
