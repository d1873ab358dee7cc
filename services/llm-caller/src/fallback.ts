import type { LlmCallResult } from '@datashunt/contracts';

/** A hard row's result without a large-model answer: the small model's label, flagged with why. */
export function fallbackResult(line: number, label: string, reason: NonNullable<LlmCallResult['fallbackReason']>, error?: string): LlmCallResult {
  return {
    line,
    label,
    source: 'fallback',
    c_l: null,
    tokens: { input: 0, output: 0 },
    cost: 0,
    cached: false,
    fallbackReason: reason,
    ...(error ? { error } : {}),
  };
}
