/**
 * Temperature scaling of class probabilities (Guo et al. 2017): p_T ∝ p^(1/T), i.e. softmax(log p / T).
 * Used to calibrate the large model's confidences C_l against gold labels before 2CD selects its x3
 * rows, since raw C_l can be far more confident than the answers are right.
 */

export interface TemperatureRow {
  probs: ArrayLike<number>;
  gold: number;
}

export interface TemperatureFit {
  temperature: number;
  /** Mean negative log-likelihood of the gold labels before (T = 1) and after scaling. */
  nllBefore: number;
  nllAfter: number;
}

/** Keeps the log-likelihood finite where a model gave the gold class probability 0. */
const FLOOR = 1e-12;

export function applyTemperature(probs: ArrayLike<number>, temperature: number): number[] {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  // A class given probability 0 keeps it (log 0 = -Infinity, exp of that is 0).
  const logs = Array.from(probs, (p) => Math.log(p) / temperature);
  const max = Math.max(...logs);
  if (!Number.isFinite(max)) throw new RangeError('probabilities must include a positive, finite value');
  const exps = logs.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Class probabilities from a single answer's confidence, the rest spread evenly over the other
 * classes: what a large model's top-answer logprob gives when the other labels' are not known.
 */
export function confidenceToProbs(confidence: number, index: number, classes: number): number[] {
  if (!(confidence >= 0 && confidence <= 1)) throw new RangeError(`confidence must be in [0, 1], got ${confidence}`);
  if (classes < 2 || index < 0 || index >= classes) throw new RangeError(`index ${index} is not one of ${classes} classes`);
  return Array.from({ length: classes }, (_, k) => (k === index ? confidence : (1 - confidence) / (classes - 1)));
}

function meanNll(rows: readonly TemperatureRow[], temperature: number): number {
  let total = 0;
  for (const { probs, gold } of rows) total -= Math.log(Math.max(applyTemperature(probs, temperature)[gold]!, FLOOR));
  return total / rows.length;
}

/**
 * Maximum-likelihood temperature by golden-section search over log T in [min, max]: the NLL is convex
 * in 1/T (log-sum-exp of a linear function less a linear one), so it is unimodal in log T.
 */
export function fitTemperature(rows: readonly TemperatureRow[], range: { min: number; max: number } = { min: 0.05, max: 20 }): TemperatureFit {
  if (rows.length === 0) throw new RangeError('fitting a temperature needs at least one labelled row');
  rows.forEach(({ probs, gold }, i) => {
    if (!Number.isInteger(gold) || gold < 0 || gold >= probs.length) throw new RangeError(`row ${i}: gold ${gold} is not a class index`);
  });
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(range.min);
  let hi = Math.log(range.max);
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = meanNll(rows, Math.exp(a));
  let fb = meanNll(rows, Math.exp(b));
  for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = meanNll(rows, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = meanNll(rows, Math.exp(b));
    }
  }
  const temperature = Math.exp((lo + hi) / 2);
  return { temperature, nllBefore: meanNll(rows, 1), nllAfter: meanNll(rows, temperature) };
}
