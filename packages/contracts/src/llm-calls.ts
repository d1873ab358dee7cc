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
