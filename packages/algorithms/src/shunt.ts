import { topClass } from './confidence.js';

export type ShuntDecision =
  | { source: 'small'; index: number; confidence: number }
  | { source: 'learnable'; index: number; confidence: number }
  | { source: 'large'; fallbackIndex: number };

/**
 * Algorithm 2 of the paper: the specific model answers when its confidence reaches delta, else the
 * learnable (2CD) model when it does, else the large model is asked. The fallback is the more
 * confident of the two small models, used if the large model cannot answer.
 */
export function shunt(delta: number, specific: ArrayLike<number>, learnable?: ArrayLike<number>): ShuntDecision {
  const s1 = topClass(specific);
  if (s1.confidence >= delta) return { source: 'small', ...s1 };
  if (learnable) {
    const s2 = topClass(learnable);
    if (s2.confidence >= delta) return { source: 'learnable', ...s2 };
    return { source: 'large', fallbackIndex: s2.confidence > s1.confidence ? s2.index : s1.index };
  }
  return { source: 'large', fallbackIndex: s1.index };
}
