/** Softmax of one row of logits (Eq. 1), shifted by the max for numerical stability. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const exps = Array.from(logits, (z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The prediction and its confidence: the softmax maximum (C_s in the paper). */
export function topClass(probs: ArrayLike<number>): { index: number; confidence: number } {
  const index = argmax(probs);
  return { index, confidence: probs[index]! };
}

/** Confidence of a generated sequence: the mean probability of its tokens (Eq. 9). */
export function sequenceConfidence(tokenLogprobs: number[]): number {
  if (tokenLogprobs.length === 0) return 0;
  return tokenLogprobs.reduce((sum, lp) => sum + Math.exp(lp), 0) / tokenLogprobs.length;
}
