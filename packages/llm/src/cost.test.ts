import { costUsd, estimateCallUsd, toMicroUsd } from './cost';
import { ResponseCache } from './response-cache';

describe('cost', () => {
  const pricing = { inputPer1M: 0.15, outputPer1M: 0.6 };

  it('prices tokens per million', () => {
    expect(costUsd({ input: 1_000_000, output: 500_000 }, pricing)).toBeCloseTo(0.45);
    expect(costUsd({ input: 0, output: 0 }, pricing)).toBe(0);
  });

  it('estimates a call as its prompt (chars/4) plus a full answer', () => {
    const messages = [{ role: 'user', content: 'x'.repeat(400) }];
    expect(estimateCallUsd(messages, { pricing, maxOutputTokens: 8 })).toBeCloseTo((100 * 0.15 + 8 * 0.6) / 1e6);
  });

  it('rounds to micro-dollars', () => {
    expect(toMicroUsd(0.0000157)).toBe(16);
    expect(toMicroUsd(2)).toBe(2_000_000);
  });
});

describe('ResponseCache.keyOf', () => {
  const request = { baseURL: 'http://x/v1', model: 'm', messages: [{ role: 'user', content: 'hi' }], params: { temperature: 0, max_tokens: 8 } };

  it('ignores property order but not content', () => {
    const key = ResponseCache.keyOf(request);
    expect(ResponseCache.keyOf({ ...request, params: { max_tokens: 8, temperature: 0 } })).toBe(key);
    expect(ResponseCache.keyOf({ ...request, model: 'n' })).not.toBe(key);
    expect(ResponseCache.keyOf({ ...request, messages: [{ role: 'user', content: 'hi!' }] })).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
