import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { REQUEST_STYLE_HINT } from '@datashunt/contracts';

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The network error code under the SDK's connection error (fetch nests it in cause, sometimes twice). */
function causeCode(error: unknown): string | undefined {
  for (let e = error as { cause?: unknown; code?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function causeMessage(error: { cause?: unknown }): string | undefined {
  const cause = error.cause as { message?: unknown } | undefined;
  return typeof cause?.message === 'string' ? cause.message : undefined;
}

function neverSent(error: APIConnectionError): boolean {
  const code = causeCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/** Base of every error the large-model client throws; `retryable` tells a worker whether to try again. */
export abstract class LlmError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** 429: the provider asks to wait; shared across workers through the queue's rate limit. */
export class RateLimitedError extends LlmError {
  readonly retryable = true;
  constructor(message: string, readonly retryAfterMs: number) {
    super(message, 429);
  }
}

/** 5xx, timeouts, dropped connections and unreadable responses: worth retrying as is. */
export class TransientLlmError extends LlmError {
  readonly retryable = true;
}

/**
 * A request that was sent but gave no usable answer: a timeout, a connection cut mid-response, a cut or
 * empty body. The provider may have billed it.
 */
export class PossiblyBilledLlmError extends TransientLlmError {
  readonly possiblyBilled = true;
  constructor(message: string, readonly timedOut: boolean) {
    super(message);
  }
}

/** 400/401/403/404 and other client errors: retrying the same request cannot succeed. */
export class PermanentLlmError extends LlmError {
  readonly retryable = false;
}

/** How providers word a refused request parameter (OpenAI: "Unsupported parameter: 'max_tokens'..."). */
export const UNSUPPORTED_PARAMETER = /param|not supported|unsupported/i;

/** Used when a 429 carries no retry-after header. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Maps what the OpenAI SDK (or the response check) threw; messages are scrubbed of the API key. */
export function toLlmError(error: unknown, apiKey: string, reachedTimeout = false): unknown {
  if (error instanceof LlmError) return error;
  const scrub = (message: string) => (apiKey ? message.split(apiKey).join('[redacted]') : message);
  if (error instanceof APIConnectionError) {
    // The SDK's timeout class does not survive every realm (jest); the clock does.
    if (error instanceof APIConnectionTimeoutError || reachedTimeout) return new PossiblyBilledLlmError(scrub(`large model timed out: ${error.message}`), true);
    // Refused or unresolvable: the request never left. Anything else dropped the connection after sending.
    if (neverSent(error)) return new TransientLlmError(scrub(`large model unreachable: ${error.message}`));
    return new PossiblyBilledLlmError(scrub(`large model connection lost: ${causeMessage(error) ?? error.message}`), false);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const message = scrub(`large model answered ${error.status}: ${error.message}`);
    if (error.status === 429) return new RateLimitedError(message, retryAfterMs(error.headers) ?? DEFAULT_RETRY_AFTER_MS);
    if (error.status >= 500 || error.status === 408 || error.status === 409) return new TransientLlmError(message, error.status);
    if (error.status === 400 && UNSUPPORTED_PARAMETER.test(error.message)) return new PermanentLlmError(`${message} (${REQUEST_STYLE_HINT})`, error.status);
    return new PermanentLlmError(message, error.status);
  }
  // The SDK parses a JSON content-type body itself; a garbled body surfaces as a SyntaxError (matched by
  // name: fetch's JSON.parse may run in another realm than this module's SyntaxError).
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return new PossiblyBilledLlmError(scrub(`large model sent an unreadable response: ${(error as Error).message}`), false);
  }
  return error;
}

/** retry-after-ms (OpenAI's extension, milliseconds) wins over retry-after (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
