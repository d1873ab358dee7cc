import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrompt } from '@datashunt/algorithms';
import { buildStandIn, startReferenceLlm, writeStandIn, type RunningReferenceLlm } from '@datashunt/reference-llm';
import { syntheticImageRows, syntheticTextRows, writeJsonl } from '../../services/reference-llm/src/testing/synthetic-data';

const textTask = { labels: ['spam', 'ham'], instruction: 'Is this e-mail spam?', inputKind: 'text' as const };
const imageTask = { labels: ['horizontal', 'vertical', 'diagonal'], instruction: 'Which line does the image show?', inputKind: 'image' as const };

describe('reference-llm over HTTP', () => {
  let dir: string;
  let server: RunningReferenceLlm;
  const auth = { authorization: 'Bearer sk-test-key', 'content-type': 'application/json' };

  const complete = (body: object, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: { ...auth, ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  const textRequest = (input: string, mode: 'plain' | 'soft+hard' = 'plain', probs = [0.5, 0.5]) => ({
    model: 'gpt-4o-mini',
    messages: buildPrompt({ task: textTask, mode, probs, threshold: 0.05, input }).messages,
    logprobs: true,
    top_logprobs: 5,
    max_tokens: 8,
  });
  const admin = (method: string, path: string, body?: object) =>
    fetch(`${server.url}/admin/${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-refllm-it-'));
    writeJsonl(join(dir, 'text.jsonl'), syntheticTextRows(40, 1));
    writeJsonl(join(dir, 'images.jsonl'), syntheticImageRows(20, 2));
    const modelsDir = join(dir, 'models');
    await writeStandIn(modelsDir, await buildStandIn({ trainPath: join(dir, 'text.jsonl'), task: 'toy-spam', perClass: 20, seed: 1 }));
    await writeStandIn(modelsDir, await buildStandIn({ trainPath: join(dir, 'images.jsonl'), task: 'toy-shapes', perClass: 10, seed: 1, grid: 4 }));
    server = await startReferenceLlm({ port: 0, modelsDir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => admin('DELETE', 'faults'));

  it('answers a text prompt with a label and its log-probability', async () => {
    const response = await complete(textRequest('claim your free cash prize now, click'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await response.json();
    expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'spam' }, finish_reason: 'stop' }] });
    const [token] = body.choices[0].logprobs.content;
    expect(token.token).toBe('spam');
    expect(Math.exp(token.logprob)).toBeGreaterThan(0.5);
    expect(token.top_logprobs.map((t: { token: string }) => t.token)).toEqual(['spam', 'ham']);
    expect(body.usage.prompt_tokens).toBeGreaterThan(10);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 1);
  });

  it('ignores the soft prompt but obeys the hard prompt', async () => {
    const spammy = 'claim your free cash prize now, click';
    const misleading = await (await complete(textRequest(spammy, 'plain', [0.01, 0.99]))).json();
    const soft = await (await complete({ ...textRequest(spammy), messages: buildPrompt({ task: textTask, mode: 'soft', probs: [0.01, 0.99], threshold: 0.005, input: spammy }).messages })).json();
    expect(soft.choices[0].message.content).toBe(misleading.choices[0].message.content);
    expect(soft.choices[0].logprobs.content[0].logprob).toBeCloseTo(misleading.choices[0].logprobs.content[0].logprob);

    // No stand-in knows "phishing": the plain prompt fails, the hard prompt that prunes it is answered.
    const threeLabels = { ...textTask, labels: ['spam', 'ham', 'phishing'] };
    const prompt = (mode: 'plain' | 'hard') => buildPrompt({ task: threeLabels, mode, probs: [0.5, 0.49, 0.01], threshold: 0.05, input: spammy });
    expect((await complete({ ...textRequest(spammy), messages: prompt('plain').messages })).status).toBe(400);
    expect(prompt('hard').allowedLabels).toEqual(['spam', 'ham']);
    const answer = await (await complete({ ...textRequest(spammy), messages: prompt('hard').messages })).json();
    expect(answer.choices[0].message.content).toBe('spam');
  });

  it('reads an image from the PNG data URL and answers only among the allowed labels', async () => {
    const [row] = syntheticImageRows(1, 42);
    const prompt = (mode: 'plain' | 'hard', probs: number[]) => buildPrompt({ task: imageTask, mode, probs, threshold: 0.1, input: row!.input as number[] });
    const plain = await (await complete({ model: 'gpt-4o', messages: prompt('plain', [1 / 3, 1 / 3, 1 / 3]).messages })).json();
    expect(plain.choices[0].message.content).toBe('horizontal');
    expect(plain.choices[0].logprobs).toBeNull();
    expect(plain.usage.prompt_tokens).toBeGreaterThan(85);
    const hard = prompt('hard', [0.01, 0.6, 0.39]);
    expect(hard.allowedLabels).toEqual(['vertical', 'diagonal']);
    const pruned = await (await complete({ model: 'gpt-4o', messages: hard.messages })).json();
    expect(['vertical', 'diagonal']).toContain(pruned.choices[0].message.content);
  });

  it('refuses requests without a key, and prompts it cannot read', async () => {
    const noKey = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(textRequest('x')) });
    expect(noKey.status).toBe(401);
    expect((await noKey.json()).error.message).toMatch(/API key/);

    const unformatted = await complete({ model: 'm', messages: [{ role: 'user', content: 'Is this spam? free cash' }] });
    expect(unformatted.status).toBe(400);
    expect((await unformatted.json()).error.message).toMatch(/Allowed labels/);

    const unknown = await complete({ ...textRequest('x'), messages: buildPrompt({ task: { ...textTask, labels: ['cat', 'dog'] }, mode: 'plain', probs: [0.5, 0.5], threshold: 0, input: 'x' }).messages });
    expect((await unknown.json()).error.message).toMatch(/no stand-in model knows the labels \["cat","dog"\]/);

    const badJson = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: auth, body: '{"model":' });
    expect(badJson.status).toBe(400);
    expect((await complete({ ...textRequest('x'), stream: true })).status).toBe(400);
  });

  it('lists models and reports health', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    const models = await (await fetch(`${server.baseURL}/models`, { headers: auth })).json();
    expect(models.data.map((m: { id: string }) => m.id).sort()).toEqual(['reference-toy-shapes', 'reference-toy-spam']);
  });

  it('injects planned faults in order, then answers normally', async () => {
    const before = await (await admin('GET', 'stats')).json();
    const plan = await admin('POST', 'faults', { faults: [{ kind: '429', retryAfterSeconds: 2, count: 2 }, { kind: '500' }, { kind: 'malformed' }, { kind: 'nonsense' }] });
    expect(plan.status).toBe(200);

    const limited = await complete(textRequest('free cash'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');
    expect((await complete(textRequest('free cash'))).status).toBe(429);
    expect((await complete(textRequest('free cash'))).status).toBe(500);
    const malformed = await complete(textRequest('free cash'));
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow();
    const nonsense = await (await complete(textRequest('free cash'))).json();
    expect(['spam', 'ham']).not.toContain(nonsense.choices[0].message.content);
    expect((await (await complete(textRequest('free cash'))).json()).choices[0].message.content).toBe('spam');

    const after = await (await admin('GET', 'stats')).json();
    expect(after.requests - before.requests).toBe(6);
    expect(after.completions - before.completions).toBe(2);
    expect(after.faults['429'] - before.faults['429']).toBe(2);
    expect(after.faults.malformed - before.faults.malformed).toBe(1);
    expect(after.models['gpt-4o-mini']).toBeGreaterThan(0);
    expect(after.standIns['toy-spam']).toBeGreaterThan(0);
    expect(after.pendingFaults).toEqual([]);
    expect((await admin('POST', 'faults', { faults: [{ kind: 'explode' }] })).status).toBe(400);
  });

  it('takes a one-off fault from the x-reference-fault header', async () => {
    expect((await complete(textRequest('free cash'), { 'x-reference-fault': '500' })).status).toBe(500);
    const limited = await complete(textRequest('free cash'), { 'x-reference-fault': '429:5' });
    expect(limited.headers.get('retry-after')).toBe('5');
    expect((await complete(textRequest('free cash'), { 'x-reference-fault': 'slow:20' })).status).toBe(200);
    expect((await complete(textRequest('free cash'), { 'x-reference-fault': 'bogus' })).status).toBe(400);
  });

  it('drops a slow answer whose client hung up', async () => {
    const controller = new AbortController();
    const aborted = complete(textRequest('free cash'), { 'x-reference-fault': 'slow:60000' }, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toThrow();
    expect((await complete(textRequest('free cash'))).status).toBe(200);
  });
});
