import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrompt } from '@datashunt/algorithms';
import { buildStandIn } from './build-stand-in';
import { startReferenceLlm, type RunningReferenceLlm } from './server';
import { syntheticTextRows, writeJsonl } from './testing/synthetic-data';

const task = { labels: ['spam', 'ham'], instruction: 'Is this e-mail spam?', inputKind: 'text' as const };
const KEY = 'sk-batch-test';

describe('reference-llm batch interface', () => {
  let dir: string;
  let server: RunningReferenceLlm;
  const auth = { authorization: `Bearer ${KEY}` };
  const json = (path: string, init: RequestInit = {}) => fetch(`${server.baseURL}${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...init.headers } });
  const admin = (path: string, body: object) => fetch(`${server.url}/admin/batch/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const requestLine = (i: number) => ({
    custom_id: `row-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: buildPrompt({ task, mode: 'plain', probs: [0.5, 0.5], threshold: 0.05, input: i % 2 ? 'claim your free cash prize now' : 'meeting notes for tomorrow' }).messages, logprobs: true, top_logprobs: 2, max_tokens: 8 },
  });
  const upload = (content: string, purpose = 'batch', headers: Record<string, string> = auth) => {
    const form = new FormData();
    form.set('purpose', purpose);
    form.set('file', new File([content], 'requests.jsonl'));
    return fetch(`${server.baseURL}/files`, { method: 'POST', headers, body: form });
  };
  const jsonl = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

  /** Uploads n requests, creates a batch with this metadata, and polls it until it ends. */
  const runBatch = async (n: number, metadata: Record<string, string> = {}) => {
    const file = await (await upload(jsonl(Array.from({ length: n }, (_, i) => requestLine(i))))).json();
    const created = await (await json('/batches', { method: 'POST', body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata }) })).json();
    expect(created).toMatchObject({ object: 'batch', status: 'in_progress', input_file_id: file.id, metadata });
    for (;;) {
      const batch = await (await json(`/batches/${created.id}`)).json();
      if (!['validating', 'in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return batch;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const content = async (fileId: string) => (await (await json(`/files/${fileId}/content`)).text()).trim().split('\n').map((l) => JSON.parse(l));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-refllm-batch-'));
    writeJsonl(join(dir, 'text.jsonl'), syntheticTextRows(40, 1));
    const standIn = await buildStandIn({ trainPath: join(dir, 'text.jsonl'), task: 'toy-spam', perClass: 20, seed: 1 });
    server = await startReferenceLlm({ port: 0, standIns: [standIn], apiKey: KEY, batch: { completionDelayMs: 20, maxRequests: 5, maxBytes: 20_000 } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => fetch(`${server.url}/admin/batch/faults`, { method: 'DELETE' }));

  it('answers every line of a batch like /v1/chat/completions, in its output file', async () => {
    const batch = await runBatch(4, { job: 'a' });
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 4, completed: 4, failed: 0 } });
    expect(batch.error_file_id).toBeUndefined();
    const lines = await content(batch.output_file_id);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['row-0', 'row-1', 'row-2', 'row-3']);
    for (const line of lines) {
      expect(line.response.status_code).toBe(200);
      expect(line.response.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] });
      expect(['spam', 'ham']).toContain(line.response.body.choices[0].message.content);
    }
    expect(batch.usage.input_tokens).toBe(lines.reduce((sum, l) => sum + l.response.body.usage.prompt_tokens, 0));
  });

  it('lists batches newest first, page by page, with their metadata', async () => {
    const first = await runBatch(1, { job: 'list-1' });
    const second = await runBatch(1, { job: 'list-2' });
    const page = await (await json('/batches?limit=1')).json();
    expect(page).toMatchObject({ object: 'list', has_more: true, data: [{ id: second.id, metadata: { job: 'list-2' } }] });
    const next = await (await json(`/batches?limit=1&after=${second.id}`)).json();
    expect(next.data[0].id).toBe(first.id);
  });

  it('fails a share of the lines into the error file, and answers the rest', async () => {
    await admin('faults', { faults: [{ kind: 'failLines', share: 0.5 }] });
    const batch = await runBatch(4);
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 4, completed: 2, failed: 2 } });
    const errors = await content(batch.error_file_id);
    expect(errors).toHaveLength(2);
    expect(errors[0].response.status_code).toBe(500);
    expect((await content(batch.output_file_id)).length).toBe(2);
  });

  it('expires a batch: every line in the error file as batch_expired', async () => {
    await admin('faults', { faults: [{ kind: 'expired' }] });
    const batch = await runBatch(3);
    expect(batch.status).toBe('expired');
    expect(batch.output_file_id).toBeUndefined();
    expect((await content(batch.error_file_id)).map((l) => l.error.code)).toEqual(['batch_expired', 'batch_expired', 'batch_expired']);
  });

  it('fails a whole batch with its errors', async () => {
    await admin('faults', { faults: [{ kind: 'failed' }] });
    const batch = await runBatch(2);
    expect(batch.status).toBe('failed');
    expect(batch.errors.data[0].message).toMatch(/failed/);
    expect(batch.output_file_id).toBeUndefined();
  });

  it('cancels a running batch', async () => {
    await admin('settings', { completionDelayMs: 60_000 });
    try {
      const file = await (await upload(jsonl([requestLine(0)]))).json();
      const created = await (await json('/batches', { method: 'POST', body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) })).json();
      const cancelled = await (await json(`/batches/${created.id}/cancel`, { method: 'POST' })).json();
      expect(cancelled.status).toBe('cancelled');
      expect((await (await json(`/batches/${created.id}`)).json()).status).toBe('cancelled');
    } finally {
      await admin('settings', { completionDelayMs: 20 });
    }
  });

  it('refuses files over the per-file limits, bad lines and other purposes with a 400', async () => {
    const tooMany = await upload(jsonl(Array.from({ length: 6 }, (_, i) => requestLine(i))));
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.message).toMatch(/at most 5 requests/);
    const tooBig = await upload('x'.repeat(100_000));
    expect(tooBig.status).toBe(400);
    expect((await tooBig.json()).error.message).toMatch(/at most 20000 bytes/);
    expect((await upload(jsonl([{ ...requestLine(0), url: '/v1/embeddings' }]))).status).toBe(400);
    expect((await upload(jsonl([requestLine(0), requestLine(0)]))).status).toBe(400);
    expect((await upload(jsonl([requestLine(0)]), 'fine-tune')).status).toBe(400);
    expect((await json('/batches', { method: 'POST', body: JSON.stringify({ input_file_id: 'file-none', endpoint: '/v1/chat/completions', completion_window: '24h' }) })).status).toBe(404);
  });

  it('checks the API key as the synchronous route does', async () => {
    expect((await upload(jsonl([requestLine(0)]), 'batch', {})).status).toBe(401);
    expect((await fetch(`${server.baseURL}/batches`, { headers: { authorization: 'Bearer sk-wrong' } })).status).toBe(401);
  });
});
