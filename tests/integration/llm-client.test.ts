import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrompt } from '@datashunt/algorithms';
import { EndpointCatalogSchema, type LargeModelSpec, type LlmCallObservation } from '@datashunt/contracts';
import {
  BudgetMeter,
  EndpointRateLimiter,
  LargeModelClient,
  type Booking,
  PermanentLlmError,
  PossiblyBilledLlmError,
  RateLimitedError,
  TransientLlmError,
  type ClassifyRequest,
} from '@datashunt/llm';
import { buildStandIn, startReferenceLlm, type RunningReferenceLlm } from '@datashunt/reference-llm';
import { createRedis, isCluster, waitReady, type RedisClient } from '@datashunt/runtime';
import { connectTestRedis, deleteKeys, portServing } from '../support/redis';
import { syntheticTextRows, writeJsonl } from '../../services/reference-llm/src/testing/synthetic-data';

const API_KEY = 'sk-test-do-not-leak-0123456789';
const prefix = `test-llm-${randomUUID()}:`;
let redis: RedisClient;

beforeAll(async () => {
  redis = connectTestRedis();
  await waitReady(redis);
});
afterAll(async () => {
  await deleteKeys(redis, `${prefix}*`);
  await redis.quit();
});
const task = { labels: ['spam', 'ham'], instruction: 'Is this e-mail spam?', inputKind: 'text' as const };

describe('LargeModelClient against the reference LLM and Redis', () => {
  let dir: string;
  let server: RunningReferenceLlm;

  const spec = (overrides: Partial<LargeModelSpec> = {}): LargeModelSpec => ({
    endpoint: 'reference',
    model: 'gpt-4o-mini',
    pricing: { inputPer1M: 1000, outputPer1M: 2000 },
    rateLimitRpm: 600,
    maxOutputTokens: 8,
    temperature: 0,
    ...overrides,
  });
  // Two endpoints of the same server: the second's base URL leads nowhere (404), each with its own key.
  const endpoints = () =>
    EndpointCatalogSchema.parse({
      reference: { baseURL: server.baseURL, apiKeyEnv: 'REFERENCE_KEY', maxRequestsPerMinute: 600 },
      nowhere: { baseURL: `${server.url}/nowhere`, apiKeyEnv: 'NOWHERE_KEY', maxRequestsPerMinute: 600 },
    });
  // What the clients of the current test told their metrics observer.
  let observed: LlmCallObservation[] = [];
  const newClient = (timeoutMs = 10_000) =>
    new LargeModelClient({ endpoints: endpoints(), apiKeyOf: () => API_KEY, redis, keyPrefix: prefix, timeoutMs, observe: (o) => observed.push(o) });
  // Inputs differ between tests: the response cache is keyed by prompt, not by run.
  const request = (input: string, overrides: Partial<ClassifyRequest> = {}): ClassifyRequest => {
    const prompt = buildPrompt({ task, mode: 'soft', probs: [0.6, 0.4], threshold: 0.05, input });
    return { manifestLargeModel: spec(), prompt: prompt.messages, allowedLabels: prompt.allowedLabels, runId: `run-${randomUUID()}`, budgetUsd: 10, ...overrides };
  };
  const stats = async () => (await fetch(`${server.url}/admin/stats`)).json();
  const planFaults = (faults: object[]) =>
    fetch(`${server.url}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-llm-it-'));
    writeJsonl(join(dir, 'train.jsonl'), syntheticTextRows(40, 1));
    const standIn = await buildStandIn({ trainPath: join(dir, 'train.jsonl'), task: 'toy-spam', perClass: 20, seed: 1 });
    server = await startReferenceLlm({ port: 0, standIns: [standIn] });
  });
  beforeEach(() => {
    observed = [];
  });
  afterEach(() => fetch(`${server.url}/admin/faults`, { method: 'DELETE' }));
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('classifies, meters the cost, and replays from the cache for free', async () => {
    const client = newClient();
    const req = request('claim your free cash prize now');
    const before = await stats();
    const outcome = await client.classify(req);
    expect(outcome).toMatchObject({ kind: 'answer', label: 'spam', cached: false, requestId: expect.stringMatching(/^req_/) });
    if (outcome.kind !== 'answer') throw new Error('expected an answer');
    expect(outcome.confidence).toBeGreaterThan(0.5);
    expect(outcome.confidence).toBeLessThanOrEqual(1);
    expect(outcome.tokens.output).toBe(1);
    expect(outcome.costUsd).toBeCloseTo((outcome.tokens.input * 1000 + 2000) / 1e6, 9);
    expect(await client.budget.spent(req.runId)).toBeCloseTo(outcome.costUsd, 6);

    const replay = await newClient().classify(req);
    expect(replay).toEqual({ kind: 'answer', label: 'spam', confidence: outcome.confidence, tokens: outcome.tokens, costUsd: 0, cached: true });
    expect(await client.budget.spent(req.runId)).toBeCloseTo(outcome.costUsd, 6);
    expect((await stats()).completions - before.completions).toBe(1);
    expect(observed).toEqual([
      { model: 'gpt-4o-mini', outcome: 'ok', latencySeconds: expect.any(Number), tokens: outcome.tokens, costUsd: outcome.costUsd },
      { model: 'gpt-4o-mini', outcome: 'cached' },
    ]);
  });

  it('retries an off-label answer once with a reminder, metering both calls', async () => {
    await planFaults([{ kind: 'nonsense' }]);
    const req = request('meeting agenda for the project review');
    const outcome = await newClient().classify(req);
    expect(outcome).toMatchObject({ kind: 'answer', label: 'ham', cached: false });
    if (outcome.kind !== 'answer') throw new Error('expected an answer');
    expect(outcome.tokens.output).toBeGreaterThan(1);
    expect(await newClient().budget.spent(req.runId)).toBeCloseTo(outcome.costUsd, 6);
  });

  it('records unresolved after two off-label answers', async () => {
    await planFaults([{ kind: 'nonsense', count: 2 }]);
    const outcome = await newClient().classify(request('urgent prize for you'));
    expect(outcome).toMatchObject({ kind: 'unresolved', raw: expect.stringContaining('not sure') });
    if (outcome.kind !== 'unresolved') throw new Error('expected unresolved');
    expect(outcome.costUsd).toBeGreaterThan(0);
  });

  it('returns over_budget without calling when the cap cannot cover the call', async () => {
    const before = await stats();
    expect(await newClient().classify(request('credit offer today', { budgetUsd: 0.0001 }))).toEqual({ kind: 'over_budget' });
    expect((await stats()).requests).toBe(before.requests);
  });

  it('throws RateLimitedError with the wait, and releases the reservation', async () => {
    await planFaults([{ kind: '429', retryAfterSeconds: 3 }]);
    const req = request('cash winner');
    const error = await newClient().classify(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
    // Sent and refused: nothing spent, nothing left reserved.
    expect(await redis.hgetall(`${prefix}llm-budget:{${req.runId}}`)).toEqual({ reserved: '0', sent: '1' });
    expect(observed.map((o) => o.outcome)).toEqual(['429']);
  });

  it('throws transient errors for 5xx, garbled bodies and timeouts, and counts what may have been billed', async () => {
    await planFaults([{ kind: '500' }, { kind: 'malformed' }, { kind: 'slow', delayMs: 30_000 }]);
    const requests = [request('a'), request('b'), request('c')];
    const client = newClient();
    await expect(client.classify(requests[0]!)).rejects.toBeInstanceOf(TransientLlmError);
    await expect(client.classify(requests[1]!)).rejects.toThrow(/unreadable response/);
    const timedOut = await newClient(200).classify(requests[2]!).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(PossiblyBilledLlmError);
    expect((timedOut as PossiblyBilledLlmError).timedOut).toBe(true);
    // A 500 is sent and not billed; a cut-off 200 and a timeout may have been billed: their
    // reservations stay charged against the budget, apart from confirmed spend.
    const [serverError, cutOff, timeout] = await Promise.all(requests.map((r) => client.budget.usage(r.runId)));
    expect(serverError).toEqual({ sent: 1, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 0, possiblyPaidUsd: 0 });
    expect(cutOff).toMatchObject({ sent: 1, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 1 });
    expect(timeout).toMatchObject({ sent: 1, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 1 });
    expect(timeout.possiblyPaidUsd).toBeGreaterThan(0);
    expect(observed.map((o) => o.outcome)).toEqual(['5xx', 'unparseable', 'timeout']);
    expect(observed.every((o) => o.latencySeconds! >= 0 && o.costUsd === undefined)).toBe(true);
  });

  it('counts a request still in flight when the row is asked again as possibly paid, and takes that back when it settles', async () => {
    await planFaults([{ kind: 'slow', delayMs: 2_000 }]);
    const req = request('quarterly invoice attached', { callKey: 'llm-call.run.0.7' });
    const before = await stats();
    // The first attempt's worker looks dead (its request hangs); the job's retry asks again meanwhile.
    const first = newClient().classify(req);
    while ((await stats()).requests === before.requests) await sleep(20);
    const client = newClient();
    await client.classify(req);
    expect(await client.budget.usage(req.runId)).toMatchObject({ sent: 2, paidCalls: 1, possiblyPaidCalls: 1 });
    // It was alive after all: both requests were paid, and the meter says so.
    await first;
    expect(await client.budget.usage(req.runId)).toMatchObject({ sent: 2, paidCalls: 2, possiblyPaidCalls: 0, possiblyPaidUsd: 0 });
    expect(await redis.hget(`${prefix}llm-budget:{${req.runId}}`, 'reserved')).toBe('0');
    expect((await stats()).completions - before.completions).toBe(2);
  });

  it('puts the cost on a row whose own earlier attempt paid for its answer, and on no other row', async () => {
    const req = request('board minutes attached for your review', { callKey: 'llm-call.run.0.11' });
    const client = newClient();
    const paid = await client.classify(req);
    if (paid.kind !== 'answer') throw new Error('expected an answer');
    // Its job failed after paying (say the answer log's write met an S3 outage): the retry reuses the
    // answer, and the row still carries what it cost, as the meter counted it.
    expect(await newClient().classify(req)).toMatchObject({ kind: 'answer', cached: false, costUsd: paid.costUsd });
    // Another row with the same text is answered from the cache at no cost.
    expect(await newClient().classify({ ...req, callKey: 'llm-call.run.0.12' })).toMatchObject({ kind: 'answer', cached: true, costUsd: 0 });
    expect(await client.budget.usage(req.runId)).toMatchObject({ sent: 1, paidCalls: 1 });
  });

  it('counts a request to an endpoint that refuses connections as never sent', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as AddressInfo).port;
    await new Promise((resolve) => listener.close(resolve));
    const closed = new LargeModelClient({
      endpoints: EndpointCatalogSchema.parse({ closed: { baseURL: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'K', maxRequestsPerMinute: 600 } }),
      apiKeyOf: () => API_KEY,
      redis,
      keyPrefix: prefix,
    });
    const req = request('d', { manifestLargeModel: spec({ endpoint: 'closed' }) });
    await expect(closed.classify(req)).rejects.toThrow(/unreachable/);
    expect(await closed.budget.usage(req.runId)).toEqual({ sent: 0, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 0, possiblyPaidUsd: 0 });
  });

  it('throws permanent errors for requests that cannot succeed, without the key', async () => {
    const unknownLabels = buildPrompt({ task: { ...task, labels: ['cat', 'dog'] }, mode: 'plain', probs: [0.5, 0.5], threshold: 0, input: 'x' });
    const error = await newClient().classify(request('x', { prompt: unknownLabels.messages, allowedLabels: unknownLabels.allowedLabels })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentLlmError);
    expect((error as PermanentLlmError).status).toBe(400);
    expect((error as Error).message).not.toContain(API_KEY);
    const notFound = await newClient().classify(request('x', { manifestLargeModel: spec({ endpoint: 'nowhere' }) })).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(PermanentLlmError);
    expect((notFound as PermanentLlmError).status).toBe(404);
  });
});

describe('BudgetMeter', () => {
  it('never lets concurrent reservations pass the cap', async () => {
    const meter = new BudgetMeter(redis, prefix);
    const granted = await Promise.all(Array.from({ length: 50 }, () => meter.reserve('budget-run', 0.1, 1)));
    expect(granted.filter(Boolean)).toHaveLength(10);
    await meter.settle('budget-run', 0.1, 0.04, 'paid');
    expect(await meter.spent('budget-run')).toBeCloseTo(0.04);
    // 0.9 still reserved + 0.04 spent: 0.06 left, a 0.07 estimate does not fit.
    expect(await meter.reserve('budget-run', 0.07, 1)).toBe(false);
    expect(await meter.reserve('budget-run', 0.06, 1)).toBe(true);
  });
  it('runs its scripts on a server that holds none of them (sent by hash, the body only on NOSCRIPT)', async () => {
    for (const server of isCluster(redis) ? redis.nodes('master') : [redis]) await server.script('FLUSH');
    const meter = new BudgetMeter(redis, prefix);
    expect(await meter.reserve('flushed-run', 0.1, 1)).toBe(true);
    await meter.settle('flushed-run', 0.1, 0.04, 'paid');
    expect(await meter.usage('flushed-run')).toEqual({ sent: 1, paidCalls: 1, spentUsd: 0.04, possiblyPaidCalls: 0, possiblyPaidUsd: 0 });
  });
  it('counts a reservation left by a worker that died mid-request as possibly paid when the request is made again', async () => {
    const meter = new BudgetMeter(redis, prefix);
    const request = 'llm-call.run.0.3:hash';
    expect(await meter.reserve('orphan-run', 0.01, 1, { key: request, token: 'killed' })).toBe(true);
    // No settle: the worker was killed. The job's retry makes the same request.
    const retry = { key: request, token: 'retry' };
    expect(await meter.reserve('orphan-run', 0.01, 1, retry)).toBe(true);
    expect(await meter.usage('orphan-run')).toEqual({ sent: 1, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 1, possiblyPaidUsd: 0.01 });
    await meter.settle('orphan-run', 0.01, 0.004, 'paid', retry);
    expect(await meter.usage('orphan-run')).toEqual({ sent: 2, paidCalls: 1, spentUsd: 0.004, possiblyPaidCalls: 1, possiblyPaidUsd: 0.01 });
    expect(await redis.hget(`${prefix}llm-budget:{orphan-run}`, 'reserved')).toBe('0');
    // Settled requests leave no marker: answering from the cache later counts nothing more.
    await meter.adoptOrphan('orphan-run', request);
    expect((await meter.usage('orphan-run')).possiblyPaidCalls).toBe(1);
  });

  it('counts a request answered from the cache after its worker died mid-request as possibly paid', async () => {
    const meter = new BudgetMeter(redis, prefix);
    expect(await meter.reserve('orphan-cached', 0.02, 1, { key: 'job:hash', token: 'killed' })).toBe(true);
    await meter.adoptOrphan('orphan-cached', 'job:hash');
    expect(await meter.usage('orphan-cached')).toEqual({ sent: 1, paidCalls: 0, spentUsd: 0, possiblyPaidCalls: 1, possiblyPaidUsd: 0.02 });
    expect(await redis.hget(`${prefix}llm-budget:{orphan-cached}`, 'reserved')).toBe('0');
  });
  it('counts a reservation and a settle once when their replies are lost and the client sends them again', async () => {
    // On a cluster, the run's keys share its tag's slot: a client of that one master sees them all.
    const proxy = await replyDroppingProxy(await portServing(redis, `${prefix}llm-budget:{resent-run}`));
    // The services' own connection settings: ioredis resends a command whose reply a dropped connection lost.
    const proxied = createRedis({ cluster: false, url: `redis://127.0.0.1:${proxy.port}` }, 'worker');
    try {
      const meter = new BudgetMeter(proxied, prefix);
      const attempt = { key: 'llm-call.run.0.9:hash', token: 'once' };
      proxy.dropNextReply();
      expect(await meter.reserve('resent-run', 0.01, 1, attempt)).toBe(true);
      proxy.dropNextReply();
      await meter.settle('resent-run', 0.01, 0.004, 'paid', attempt);
      expect(proxy.dropped()).toBe(2);
      expect(await meter.usage('resent-run')).toEqual({ sent: 1, paidCalls: 1, spentUsd: 0.004, possiblyPaidCalls: 0, possiblyPaidUsd: 0 });
      expect(await redis.hget(`${prefix}llm-budget:{resent-run}`, 'reserved')).toBe('0');
    } finally {
      proxied.disconnect();
      await proxy.close();
    }
  });
});

/**
 * A TCP proxy to Redis that, when told to, drops the connection in place of passing on the next
 * integer reply: Redis ran the command and the client never hears of it.
 */
async function replyDroppingProxy(redisPort: number) {
  let toDrop = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', closeBoth).on('close', closeBoth);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      // Scripts answer with integers (':'); the client's ready check (INFO) gets a bulk string.
      if (toDrop > 0 && chunk[0] === 0x3a) {
        toDrop -= 1;
        dropped += 1;
        closeBoth();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dropNextReply: () => void (toDrop += 1),
    dropped: () => dropped,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('EndpointRateLimiter', () => {
  const waitOf = (booking: Booking) => {
    if (!booking.booked) throw new Error(`not booked: retry in ${booking.retryInMs} ms`);
    return booking.waitMs;
  };

  it('books slots 60000/rpm ms apart across limiter instances', async () => {
    const a = new EndpointRateLimiter(redis, prefix);
    const b = new EndpointRateLimiter(redis, prefix);
    const far = { maxWaitMs: 60_000 };
    expect(waitOf(await a.reserve('endpoint-1', 60, far))).toBe(0);
    const waits = [waitOf(await b.reserve('endpoint-1', 60, far)), waitOf(await a.reserve('endpoint-1', 60, far))];
    expect(waits[0]).toBeGreaterThan(900);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    // Each caller gets a slot of its own: the third is one interval after the second.
    expect(waits[1]! - waits[0]!).toBeGreaterThan(900);
    expect(waits[1]! - waits[0]!).toBeLessThanOrEqual(1000);
    expect(waitOf(await a.reserve('endpoint-2', 60, far))).toBe(0);
  });

  it('books nothing beyond the longest wait, and says when a slot will be free', async () => {
    const limiter = new EndpointRateLimiter(redis, prefix);
    expect(waitOf(await limiter.reserve('slow-run', 1, { maxWaitMs: 2_000 }))).toBe(0);
    const refused = await limiter.reserve('slow-run', 1, { maxWaitMs: 2_000 });
    expect(refused.booked).toBe(false);
    if (!refused.booked) expect(refused.retryInMs).toBeGreaterThan(55_000);
    // The refusal booked nothing: a caller willing to wait gets the slot right after the first.
    const later = waitOf(await limiter.reserve('slow-run', 1, { maxWaitMs: 120_000 }));
    expect(later).toBeGreaterThan(55_000);
    expect(later).toBeLessThanOrEqual(60_000);
  });

  it('books a cost of many units, e.g. tokens', async () => {
    const limiter = new EndpointRateLimiter(redis, prefix);
    expect(waitOf(await limiter.reserve('tokens', 60_000, { cost: 3_000, maxWaitMs: 10_000 }))).toBe(0);
    const next = waitOf(await limiter.reserve('tokens', 60_000, { cost: 1, maxWaitMs: 10_000 }));
    expect(next).toBeGreaterThan(2_900);
    expect(next).toBeLessThanOrEqual(3_000);
  });
});
