import { APIConnectionTimeoutError, APIError } from 'openai';
import { DEFAULT_RETRY_AFTER_MS, PermanentLlmError, RateLimitedError, retryAfterMs, toLlmError, TransientLlmError } from './errors';

const apiError = (status: number, headers: Record<string, string> = {}, message = 'boom') =>
  APIError.generate(status, { error: { message } }, undefined, new Headers(headers));

describe('retryAfterMs', () => {
  it('prefers retry-after-ms, then retry-after seconds or date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500.2', 'retry-after': '9' }))).toBe(1501);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('toLlmError', () => {
  it('maps a 429 to RateLimitedError with the wait', () => {
    const error = toLlmError(apiError(429, { 'retry-after': '3' }), 'sk');
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
    expect((toLlmError(apiError(429), 'sk') as RateLimitedError).retryAfterMs).toBe(DEFAULT_RETRY_AFTER_MS);
  });

  it.each([500, 502, 503, 408])('maps %i to a transient error', (status) => {
    expect(toLlmError(apiError(status), 'sk')).toBeInstanceOf(TransientLlmError);
  });

  it.each([400, 401, 403, 404, 422])('maps %i to a permanent error', (status) => {
    const error = toLlmError(apiError(status), 'sk') as PermanentLlmError;
    expect(error).toBeInstanceOf(PermanentLlmError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(status);
  });

  it('names the endpoint setting when the model refuses a request parameter, and only then', () => {
    const refused = APIError.generate(400, { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." } }, undefined, new Headers());
    expect((toLlmError(refused, 'sk') as Error).message).toMatch(/Unsupported parameter.*"tokenLimitParam": "max_completion_tokens"/);
    expect((toLlmError(apiError(400), 'sk') as Error).message).not.toMatch(/tokenLimitParam/);
  });

  it('maps timeouts and garbled bodies to transient errors', () => {
    expect(toLlmError(new APIConnectionTimeoutError(), 'sk')).toBeInstanceOf(TransientLlmError);
    expect(toLlmError(new SyntaxError('Unexpected token'), 'sk')).toBeInstanceOf(TransientLlmError);
  });

  it('never repeats the API key', () => {
    const key = 'sk-secret-123';
    const error = toLlmError(apiError(401, {}, `Incorrect API key provided: ${key}`), key) as Error;
    expect(error.message).not.toContain(key);
    expect(error.message).toContain('[redacted]');
  });

  it('passes unknown errors through', () => {
    const bug = new TypeError('x is undefined');
    expect(toLlmError(bug, 'sk')).toBe(bug);
  });
});
