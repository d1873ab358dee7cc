import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { datasetPaths } from '@datashunt/datasets';
import { signBody, SIGNATURE_HEADER } from '@datashunt/ingest';
import { headObject, putJson } from '@datashunt/storage';
import { ownKeyPrefix } from '@datashunt/runtime';
import { keysMatching } from '../support/redis';
import { spamManifest, spamSplits, startTestStack, type TestStack } from '../support/stack';

const SECRET = 'webhook-test-shared-secret';

const records = (bucket: string, key: string, eTag?: string) => ({
  Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, ...(eTag ? { eTag } : {}) } } }],
});

/** POST /notifications on the real ingest service: who may call it, and what a call can start. */
describe('webhook security', () => {
  let stack: TestStack;
  let bucket: string;

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${stack.ingestPort()}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const bearer = { authorization: `Bearer ${SECRET}` };

  /** Every manifest-ingest job in any state, as the (key, etag) its run is keyed on. */
  const ingestJobs = async () => {
    const jobs = await stack.runtime.queues.queue('ingest').getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children']);
    return jobs
      .filter((j) => j.name === 'manifest-ingest')
      .map((j) => `${j.data.key}#${j.data.etag}`)
      .sort();
  };
  const putManifest = async (name: string) => {
    const key = `manifests/${name}.json`;
    await putJson(stack.runtime.s3, { bucket, key }, spamManifest('datasets/absent.jsonl', { name }));
    return { key, etag: (await headObject(stack.runtime.s3, { bucket, key }))!.etag };
  };

  beforeAll(async () => {
    await spamSplits();
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train, services: ['ingest'], env: { WEBHOOK_SECRET: SECRET } });
    bucket = stack.runtime.bucket;
  });
  afterAll(() => stack?.dispose());

  it('listens on loopback only', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return; // a machine with no other address has nothing to reach from
    await expect(fetch(`http://${external.address}:${stack.ingestPort()}/healthz`)).rejects.toThrow();
  });

  it('refuses calls without the secret (401) and starts nothing', async () => {
    const { key, etag } = await putManifest('unauthenticated');
    const body = records(bucket, key, etag);
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-secret' },
      { authorization: `Bearer ${SECRET}x` },
      { authorization: `Basic ${Buffer.from(`sns:${SECRET.slice(1)}`).toString('base64')}` },
      { [SIGNATURE_HEADER]: signBody('another-secret', JSON.stringify(body)) },
      { [SIGNATURE_HEADER]: signBody(SECRET, JSON.stringify(records(bucket, 'manifests/other.json'))) },
    ];
    for (const headers of refused) {
      const res = await post(body, headers);
      expect({ headers, status: res.status, challenge: res.headers.get('www-authenticate') }).toEqual({ headers, status: 401, challenge: expect.stringMatching(/^Basic /) });
    }
    // Authentication comes before parsing: garbage without the secret learns nothing about the parser.
    expect((await post('{not json', {})).status).toBe(401);
    expect(await ingestJobs()).toEqual([]);
    expect(await keysMatching(stack.runtime.redis, `${ownKeyPrefix(stack.config.QUEUE_PREFIX)}manifest-seen:*`)).toEqual([]);
  });

  it('keys the run on the ETag S3 returns: forged ETags start at most that one run', async () => {
    const { key, etag } = await putManifest('forged-etag');
    const answers = [];
    for (const forged of ['"0123456789abcdef0123456789abcdef"', 'fedcba9876543210', etag, undefined]) {
      const res = await post(records(bucket, key, forged), bearer);
      expect(res.status).toBe(202);
      answers.push(((await res.json()) as { accepted: string[] }).accepted);
    }
    expect(answers).toEqual([[key], [], [], []]);
    expect((await ingestJobs()).filter((j) => j.startsWith(key))).toEqual([`${key}#${etag}`]);
  });

  it('starts nothing for an announced object that does not exist', async () => {
    const res = await post(records(bucket, 'manifests/never-written.json', '"d41d8cd98f00b204e9800998ecf8427e"'), bearer);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: [] });
    expect((await ingestJobs()).filter((j) => j.includes('never-written'))).toEqual([]);
  });

  it('accepts a call signed with the HMAC of its raw body', async () => {
    const { key, etag } = await putManifest('hmac-signed');
    const body = JSON.stringify(records(bucket, key));
    const res = await post(body, { [SIGNATURE_HEADER]: signBody(SECRET, body) });
    expect(res.status).toBe(202);
    expect(await ingestJobs()).toContain(`${key}#${etag}`);
  });

  it('starts the run from an S3 -> SNS notification (SNS sends the secret as Basic credentials)', async () => {
    const { key, etag } = await putManifest('via-sns');
    const sns = { Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:datashunt', Message: JSON.stringify(records(bucket, key)) };
    const res = await post(sns, { authorization: `Basic ${Buffer.from(`sns:${SECRET}`).toString('base64')}` });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: [key] });
    expect(await ingestJobs()).toContain(`${key}#${etag}`);
  });

  it('logs an SNS subscription confirmation without fetching its URL, and starts nothing', async () => {
    let fetched = 0;
    const trap: Server = createServer((_req, res) => {
      fetched++;
      res.end();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    try {
      const before = await ingestJobs();
      const subscribeUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/?Action=ConfirmSubscription&Token=t`;
      const res = await post({ Type: 'SubscriptionConfirmation', SubscribeURL: subscribeUrl, Token: 't', TopicArn: 'arn:aws:sns:us-east-1:1:t' }, bearer);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: [] });
      expect(fetched).toBe(0);
      expect(await ingestJobs()).toEqual(before);
    } finally {
      trap.close();
    }
  });

  it('starts the run from an S3 -> EventBridge event', async () => {
    const { key, etag } = await putManifest('via-eventbridge');
    const event = {
      version: '0',
      id: 'e-1',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      resources: [`arn:aws:s3:::${bucket}`],
      detail: { version: '0', bucket: { name: bucket }, object: { key, etag: 'forged', size: 1 }, reason: 'PutObject' },
    };
    const res = await post(event, bearer);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: [key] });
    expect((await ingestJobs()).filter((j) => j.startsWith(key))).toEqual([`${key}#${etag}`]);
  });
});
