import type { Tokens } from './rows.js';

/** How one large-model completion (or a row's fallback) ended, as the llm-call metrics count it. */
export type LlmCallOutcome = 'ok' | 'cached' | '429' | '5xx' | 'timeout' | 'unparseable' | 'fallback' | 'error';

/** One completion as the large-model client reports it to an observer: no prompt or row data. */
export interface LlmCallObservation {
  model: string;
  outcome: LlmCallOutcome;
  /** Only for requests really sent. */
  latencySeconds?: number;
  tokens?: Tokens;
  costUsd?: number;
}

/** A provider's per-file limits of its batch interface (OpenAI's): requests per input file, and its size. */
export const BATCH_FILE_LIMITS = { requests: 50_000, bytes: 200 * 1024 * 1024 } as const;

/** Items split, in order, into parts that each stay within the per-file limits (items by sizeOf bytes). */
export function splitWithinBatchLimits<T>(items: readonly T[], sizeOf: (item: T) => number, limits: { requests: number; bytes: number } = BATCH_FILE_LIMITS): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length && (current.length >= limits.requests || bytes + size > limits.bytes)) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) parts.push(current);
  return parts;
}
