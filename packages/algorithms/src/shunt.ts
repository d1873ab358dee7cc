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

/**
 * The guarantee mode's routing: the more confident of the two small models (ties to the specific one)
 * answers when its confidence reaches the threshold, else the large model. Unlike Algorithm 2, the
 * label a row gets from the small side does not depend on the threshold, which the sampling phase's
 * test needs: it certifies each row's small answer before the threshold is known. A null threshold
 * (none certified) sends every row to the large model.
 */
export function guaranteeShunt(threshold: number | null, specific: ArrayLike<number>, learnable?: ArrayLike<number>): ShuntDecision {
  const best = confidentSmall(specific, learnable);
  if (threshold !== null && best.confidence >= threshold) return best;
  return { source: 'large', fallbackIndex: best.index };
}

/** The more confident small model's answer (ties to the specific model). */
export function confidentSmall(specific: ArrayLike<number>, learnable?: ArrayLike<number>): Extract<ShuntDecision, { index: number }> {
  const s1 = topClass(specific);
  const s2 = learnable ? topClass(learnable) : undefined;
  return s2 && s2.confidence > s1.confidence ? { source: 'learnable', ...s2 } : { source: 'small', ...s1 };
}
