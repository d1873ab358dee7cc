import { estimatePromptTokens, type WireMessage } from '@datashunt/algorithms';
import type { LargeModelSpec, Tokens } from '@datashunt/contracts';

export type Pricing = LargeModelSpec['pricing'];

export function costUsd(tokens: Tokens, pricing: Pricing): number {
  return (tokens.input * pricing.inputPer1M) / 1e6 + (tokens.output * pricing.outputPer1M) / 1e6;
}

/** Money is kept in integer micro-dollars in Redis so concurrent increments never drift. */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1e6);
}

/** The most a call should cost: the estimated prompt plus a full-length answer at the manifest's prices. */
export function estimateCallUsd(messages: readonly WireMessage[], spec: Pick<LargeModelSpec, 'pricing' | 'maxOutputTokens'>): number {
  return costUsd({ input: estimatePromptTokens(messages), output: spec.maxOutputTokens }, spec.pricing);
}
