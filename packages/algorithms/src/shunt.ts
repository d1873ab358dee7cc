import { topClass } from './confidence.js';

export type ShuntDecision =
  | { source: 'small'; index: number; confidence: number }
  | { source: 'learnable'; index: number; confidence: number }
  | { source: 'large'; fallbackIndex: number };

/** A model's prediction for a row: its top class and that class's probability. */
export interface TopClass {
  index: number;
  confidence: number;
}

/**
 * Algorithm 2 of the paper: the specific model answers when its confidence reaches delta, else the
 * learnable (2CD) model when it does, else the large model is asked. The fallback is the more
 * confident of the two small models, used if the large model cannot answer.
 */
export function shunt(delta: number, specific: ArrayLike<number>, learnable?: ArrayLike<number>): ShuntDecision {
  return shuntTops(delta, topClass(specific), learnable ? topClass(learnable) : undefined);
}

/** Algorithm 2 on the models' top classes alone, which is all it looks at. */
export function shuntTops(delta: number, s1: TopClass, s2?: TopClass): ShuntDecision {
  if (s1.confidence >= delta) return { source: 'small', ...s1 };
  if (s2) {
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
export function guaranteeShuntTops(threshold: number | null, s1: TopClass, s2?: TopClass): ShuntDecision {
  const best = confidentTop(s1, s2);
  if (threshold !== null && best.confidence >= threshold) return best;
  return { source: 'large', fallbackIndex: best.index };
}

/** The more confident small model's answer (ties to the specific model). */
export function confidentTop(s1: TopClass, s2?: TopClass): Extract<ShuntDecision, { index: number }> {
  return s2 && s2.confidence > s1.confidence ? { source: 'learnable', ...s2 } : { source: 'small', ...s1 };
}
