import { estimatePromptTokens, type WireMessage } from '@datashunt/algorithms';
import type { LargeModelSpec, Tokens } from '@datashunt/contracts';

export type Pricing = Pick<LargeModelSpec['pricing'], 'inputPer1M' | 'outputPer1M'>;

/** The price of batch requests: the manifest's batch price (a manifest in batch mode must give one). */
export function batchPricing(spec: Pick<LargeModelSpec, 'pricing'>): Pricing {
  if (!spec.pricing.batch) throw new Error('largeModel.pricing.batch is not set');
  return spec.pricing.batch;
}

export function costUsd(tokens: Tokens, pricing: Pricing): number {
  return (tokens.input * pricing.inputPer1M) / 1e6 + (tokens.output * pricing.outputPer1M) / 1e6;
}

/** Money is kept in integer micro-dollars in Redis so concurrent increments never drift. */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1e6);
}

/** The most a call should cost: the estimated prompt plus a full-length answer at the manifest's prices. */
export function estimateCallUsd(messages: readonly WireMessage[], spec: Pick<LargeModelSpec, 'maxOutputTokens'> & { pricing: Pricing }): number {
  return costUsd({ input: estimatePromptTokens(messages), output: spec.maxOutputTokens }, spec.pricing);
}
