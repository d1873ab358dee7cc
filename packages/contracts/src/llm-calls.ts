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
