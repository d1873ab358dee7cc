/**
 * Threshold selection with a statistical guarantee on the batch itself, after BARGAIN (Zeighami et al.,
 * "Cut Costs, Not Accuracy: LLM-Powered Data Processing with Guarantees", arXiv 2509.02896), plus the
 * two baselines it is measured against.
 *
 * The batch of N rows is the population. Every row has the small model's label and confidence; the
 * large model's answer is learnt only by asking (`askLarge`, paid once; the caller caches and reuses
 * the answers). A threshold rho routes rows with confidence >= rho to the small model, except rows
 * whose large answer was bought while sampling, and everything else to the large model.
 *
 * Validity (fixed-sequence testing). The candidate thresholds rho_1 > rho_2 > ... are fixed before any
 * large answer is seen (they come from the confidences alone). For each j the null hypothesis H_j says
 * "routing at rho_j misses the target"; it is a fixed statement about the batch (its population and
 * target below do not depend on which rows get sampled). H_j is tested at level alpha with an
 * anytime-valid betting test on a uniformly random without-replacement sample of its population, with
 * any adaptive stopping rule, and the walk stops at the first threshold not rejected. A wrong answer
 * needs some true H_j to be rejected; to reach a true H_j the walk must first reject the FIRST true
 * null H_j0 (it stops at the first failure), and that happens with probability <= alpha. So with
 * probability >= 1 - alpha every passed threshold, the returned one included, meets the target. No
 * alpha is split across thresholds. Passing needs the capital to reach 1/alpha somewhere along the
 * random order, an event of probability <= alpha under H_j whatever decides when to stop (Ville), so
 * the give-up rules, the query caps and reuse of rows bought earlier cannot weaken it. Rows bought while sampling are answered by the large model, which
 * only raises agreement (and precision and recall) above what the test certified; they are not
 * credited inside the test, because a credit that depends on the sample would make H_j random and
 * break the argument above.
 *
 * One uniformly random order of all rows serves every threshold: restricted to a threshold's
 * population it is a uniformly random order of that population, and rows already bought for an
 * earlier threshold cost nothing when a later one reaches them.
 */
import { DEFAULT_TRUNCATION, hoeffdingLowerBound, MeanAboveTest } from './betting-bounds.js';
import { binomialCdf } from './binomial.js';
import { shuffled, type Rng } from './seeded-random.js';

/**
 * - agreement: DS+'s answers equal the large model's on at least T of the batch's rows;
 * - precision: of the rows DS+ labels `label`, at least T are `label` by the large model;
 * - recall: of the rows the large model labels `label`, DS+ labels at least T so.
 */
export type GuaranteeTarget =
  | { kind: 'agreement'; T: number }
  | { kind: 'precision'; T: number; label: string }
  | { kind: 'recall'; T: number; label: string };

export interface ScoredRow {
  smallLabel: string;
  confidence: number;
}

export interface LabelledScoredRow extends ScoredRow {
  largeLabel: string;
}

/**
 * Asks the large model about these rows (indexes into the batch); answers in the same order. It throws
 * LargeAnswersUnavailable when the large model cannot answer (budget spent, endpoint down).
 */
export type AskLarge = (rowIndexes: number[]) => Promise<string[]>;

/**
 * The large model could not answer: the threshold being tested fails and the walk stops there. Stopping
 * is a stopping rule, so the thresholds passed before keep their guarantee.
 */
export class LargeAnswersUnavailable extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'LargeAnswersUnavailable';
  }
}

export type GuaranteeMethod = 'bargain' | 'uniform-hoeffding' | 'learn-then-test';

export interface ThresholdStep {
  threshold: number;
  /** Rows in the hypothesis' population (the batch rows, or validation rows for learn-then-test). */
  population: number;
  /** The mean the population must reach; <= 0 passes without sampling. */
  target: number;
  /** Observations the test used (bought now or earlier). */
  observations: number;
  passed: boolean;
  why: string;
}

export interface ThresholdChoice {
  method: GuaranteeMethod;
  /** Rows with confidence >= threshold are the small model's (unless bought); null: none passed, all go large. */
  threshold: number | null;
  /** Large-model answers bought while choosing, by row index: reuse them as those rows' answers. */
  largeAnswers: ReadonlyMap<number, string>;
  /** Predicted share of rows the large model answers: the batch's (validation rows' for learn-then-test). */
  largeShare: number;
  steps: ThresholdStep[];
  reason: string;
}

export interface Routing {
  smallRows: number[];
  largeRows: number[];
  largeShare: number;
}

/** Where each batch row goes under a choice: bought rows and rows below the threshold go large. */
export function routeBatch(rows: readonly ScoredRow[], choice: Pick<ThresholdChoice, 'threshold' | 'largeAnswers'>): Routing {
  const smallRows: number[] = [];
  const largeRows: number[] = [];
  rows.forEach((row, i) => {
    const small = choice.threshold !== null && row.confidence >= choice.threshold && !choice.largeAnswers.has(i);
    (small ? smallRows : largeRows).push(i);
  });
  return { smallRows, largeRows, largeShare: rows.length ? largeRows.length / rows.length : 0 };
}

/** The batch-level hypothesis at one threshold: which rows, each row's value in [0, 1], the mean to reach. */
interface Hypothesis {
  members: (i: number) => boolean;
  value: (i: number, largeLabel: string) => number;
  target: (populationSize: number) => number;
}

function checkTarget(target: GuaranteeTarget, alpha: number): void {
  if (!(target.T > 0 && target.T <= 1)) throw new RangeError(`target T must be in (0, 1], got ${target.T}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

function hypothesisAt(target: GuaranteeTarget, rows: readonly ScoredRow[], threshold: number): Hypothesis {
  const above = (i: number) => rows[i]!.confidence >= threshold;
  switch (target.kind) {
    case 'agreement':
      // Rows below the threshold are the large model's own answers and agree by definition, so the
      // rows above may disagree on at most (1 - T) N: their agreement rate must reach 1 - (1 - T) N / n.
      return {
        members: above,
        value: (i, large) => (rows[i]!.smallLabel === large ? 1 : 0),
        target: (n) => 1 - ((1 - target.T) * rows.length) / n,
      };
    case 'precision':
      return {
        members: (i) => above(i) && rows[i]!.smallLabel === target.label,
        value: (_i, large) => (large === target.label ? 1 : 0),
        target: () => target.T,
      };
    case 'recall':
      // Recall >= T <=> (1 - T) found - T missed >= 0 over the large model's positives. Shifted by T
      // into [0, 1] per row (T for a negative, 1 for a found positive, 0 for a missed one) it is one
      // bounded mean over the whole batch that must reach T.
      return {
        members: () => true,
        value: (i, large) => {
          if (large !== target.label) return target.T;
          return above(i) && rows[i]!.smallLabel !== target.label ? 0 : 1;
        },
        target: () => target.T,
      };
  }
}

/**
 * Candidate thresholds, most confident first: the confidence at every (1/count)-th rank of the rows
 * the target is about (the small model's `label` rows for precision), duplicates removed.
 */
export function candidateThresholds(rows: readonly ScoredRow[], target: GuaranteeTarget, count: number): number[] {
  const relevant = target.kind === 'precision' ? rows.filter((r) => r.smallLabel === target.label) : rows;
  const confidences = relevant.map((r) => r.confidence).sort((a, b) => b - a);
  const out: number[] = [];
  for (let k = 1; k <= count && confidences.length; k++) {
    const c = confidences[Math.ceil((k * confidences.length) / count) - 1]!;
    if (out[out.length - 1] !== c) out.push(c);
  }
  return out;
}

/** Assembles a choice: the routing it implies on `rows` and the sentence that explains it. */
function finish(
  method: GuaranteeMethod,
  rows: readonly ScoredRow[],
  target: GuaranteeTarget,
  alpha: number,
  threshold: number | null,
  largeAnswers: ReadonlyMap<number, string>,
  steps: ThresholdStep[],
): ThresholdChoice {
  const { largeShare } = routeBatch(rows, { threshold, largeAnswers });
  const reason = `${summarize(method, target, alpha, steps, largeAnswers.size)} Predicted large-model share: ${(100 * largeShare).toFixed(1)}%.`;
  return { method, threshold, largeAnswers, largeShare, steps, reason };
}

function summarize(method: GuaranteeMethod, target: GuaranteeTarget, alpha: number, steps: ThresholdStep[], bought: number): string {
  const passed = steps.filter((s) => s.passed);
  const last = passed[passed.length - 1];
  const failed = steps.find((s) => !s.passed);
  const promise = `${target.kind}${target.kind === 'agreement' ? '' : ` of "${target.label}"`} >= ${target.T} with probability >= ${1 - alpha}`;
  const stop = failed ? `; stopped at ${failed.threshold.toFixed(4)}: ${failed.why}` : '; every candidate passed';
  if (!last) return `${method}: no threshold could be certified for ${promise}, so every row goes to the large model${stop}.`;
  return `${method}: the small model answers rows with confidence >= ${last.threshold.toFixed(4)} for ${promise} (${bought} large answers bought)${stop}.`;
}

export interface BargainOptions {
  alpha: number;
  /** Seeds the sampling order. */
  rng: Rng;
  /** Candidate thresholds walked (default 20, as in BARGAIN). */
  thresholdCount?: number;
  /**
   * New large-model calls one threshold may buy before it counts as failed. Default: as many rows as
   * the step would move to the small model (at least 50): a step that costs more calls than it can
   * save is not worth certifying.
   */
  maxQueriesPerThreshold?: number;
  /** Rows per askLarge call (default 25). */
  batchSize?: number;
}

/**
 * BARGAIN-style selection: walk the candidates from the most confident, at each sample its population
 * adaptively in the shared random order until the betting test certifies the target (pass), a betting
 * test at the same level certifies it is out of reach, or the threshold's query allowance runs out
 * (fail); stop at the first failure.
 */
export async function bargainThreshold(
  rows: readonly ScoredRow[],
  target: GuaranteeTarget,
  askLarge: AskLarge,
  options: BargainOptions,
): Promise<ThresholdChoice> {
  checkTarget(target, options.alpha);
  const batchSize = options.batchSize ?? 25;
  const order = shuffled(rows.map((_, i) => i), options.rng);
  const answers = new Map<number, string>();
  const steps: ThresholdStep[] = [];
  let chosen: number | null = null;
  let smallRowsBefore = 0;

  for (const threshold of candidateThresholds(rows, target, options.thresholdCount ?? 20)) {
    const h = hypothesisAt(target, rows, threshold);
    const population = order.filter(h.members);
    const m = h.target(population.length);
    const smallRows = rows.reduce((n, r) => n + (r.confidence >= threshold ? 1 : 0), 0);
    const maxQueries = options.maxQueriesPerThreshold ?? Math.max(50, smallRows - smallRowsBefore);
    smallRowsBefore = smallRows;
    const step = await testThreshold(population, h, m, answers, askLarge, { alpha: options.alpha, maxQueries, batchSize });
    steps.push({ threshold, population: population.length, target: m, ...step });
    if (!step.passed) break;
    chosen = threshold;
  }
  return finish('bargain', rows, target, options.alpha, chosen, answers, steps);
}

async function testThreshold(
  population: number[],
  h: Hypothesis,
  m: number,
  answers: Map<number, string>,
  askLarge: AskLarge,
  limits: { alpha: number; maxQueries: number; batchSize: number },
): Promise<Pick<ThresholdStep, 'observations' | 'passed' | 'why'>> {
  if (m <= 0) return { observations: 0, passed: true, why: 'the target holds even if every row in it is wrong' };
  const above = new MeanAboveTest(m, limits.alpha, { populationSize: population.length, bet: 'agrapa' });
  // "mean >= 1 - m" for 1 - x certifies that the mean of x is at most m: stop paying for a lost cause.
  const below = new MeanAboveTest(1 - m, limits.alpha, { populationSize: population.length, bet: 'agrapa' });
  let bought = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let pos = 0; pos < population.length; pos++) {
    if (above.isRejected) return { observations: pos, passed: true, why: `certified after ${pos} observations` };
    if (below.isRejected) return { observations: pos, passed: false, why: `the sample shows the rows above it fall short of ${m.toFixed(4)}` };
    const i = population[pos]!;
    if (!answers.has(i)) {
      const room = limits.maxQueries - bought;
      if (room <= 0 || hopeless(pos, sum, sumSquares, m, limits.alpha, room)) {
        return { observations: pos, passed: false, why: `not certifiable within ${limits.maxQueries} large-model calls at the observed rate` };
      }
      const batch = population.slice(pos).filter((j) => !answers.has(j)).slice(0, Math.min(room, limits.batchSize));
      let got: string[];
      try {
        got = await askLarge(batch);
      } catch (error) {
        if (error instanceof LargeAnswersUnavailable) return { observations: pos, passed: false, why: `the large model could not answer: ${error.message}` };
        throw error;
      }
      if (got.length !== batch.length) throw new Error(`askLarge answered ${got.length} of ${batch.length} rows`);
      batch.forEach((j, k) => answers.set(j, got[k]!));
      bought += batch.length;
    }
    const x = h.value(i, answers.get(i)!);
    sum += x;
    sumSquares += x * x;
    above.observe(x);
    below.observe(1 - x);
  }
  // Every row of the population was seen: its mean is known exactly.
  const mean = population.reduce((s, i) => s + h.value(i, answers.get(i)!), 0) / population.length;
  return mean >= m || above.isRejected
    ? { observations: population.length, passed: true, why: 'every row seen; the exact mean reaches the target' }
    : { observations: population.length, passed: false, why: `every row seen; the exact mean ${mean.toFixed(4)} is below ${m.toFixed(4)}` };
}

/**
 * Gives up early (a stopping rule, so validity is untouched) once 30 observations put the observed
 * mean at or below m, or when the draws the betting test would still need at the observed margin
 * exceed the calls left: log(1/alpha) / g, g the log-capital growth per draw of the best bet allowed
 * (lambda = margin / variance, truncated at c / m), with the test's own shrunk variance estimate.
 */
function hopeless(n: number, sum: number, sumSquares: number, m: number, alpha: number, callsLeft: number): boolean {
  if (n < 30) return false;
  const mean = sum / n;
  const margin = mean - m;
  if (margin <= 0) return true;
  const variance = (0.25 + Math.max(0, sumSquares - n * mean * mean)) / (n + 1);
  const lambda = Math.min(margin / variance, DEFAULT_TRUNCATION / m);
  const growth = lambda * margin - (lambda * lambda * variance) / 2;
  return Math.log(1 / alpha) / growth - n > callsLeft;
}

export interface UniformOptions {
  alpha: number;
  rng: Rng;
  /** Rows sampled uniformly from the batch up front. */
  sampleSize: number;
  thresholdCount?: number;
}

/**
 * Naive baseline: one uniform sample of the batch bought up front, then the same fixed sequence with
 * Hoeffding's bound on the sampled rows inside each threshold's population (Hoeffding holds for draws
 * without replacement, and given how many landed in a population they are a uniform sample of it).
 */
export async function uniformHoeffdingThreshold(
  rows: readonly ScoredRow[],
  target: GuaranteeTarget,
  askLarge: AskLarge,
  options: UniformOptions,
): Promise<ThresholdChoice> {
  checkTarget(target, options.alpha);
  const sample = shuffled(rows.map((_, i) => i), options.rng).slice(0, options.sampleSize);
  const got = sample.length ? await askLarge(sample) : [];
  const answers = new Map(sample.map((i, k) => [i, got[k]!]));
  const steps: ThresholdStep[] = [];
  let chosen: number | null = null;
  for (const threshold of candidateThresholds(rows, target, options.thresholdCount ?? 20)) {
    const h = hypothesisAt(target, rows, threshold);
    const population = rows.reduce((n, _, i) => n + (h.members(i) ? 1 : 0), 0);
    const m = h.target(population);
    const xs = sample.filter(h.members).map((i) => h.value(i, answers.get(i)!));
    const bound = hoeffdingLowerBound(xs, options.alpha);
    const passed = m <= 0 || (xs.length > 0 && bound >= m);
    const why = m <= 0 ? 'the target holds even if every row in it is wrong' : `Hoeffding bound ${bound.toFixed(4)} on ${xs.length} sampled rows against ${m.toFixed(4)}`;
    steps.push({ threshold, population, target: m, observations: xs.length, passed, why });
    if (!passed) break;
    chosen = threshold;
  }
  return finish('uniform-hoeffding', rows, target, options.alpha, chosen, answers, steps);
}

/**
 * Learn-then-Test (Angelopoulos et al., arXiv 2110.01052) on a separate labelled validation set: the
 * same fixed sequence, each threshold's risk tested with an exact binomial p-value. Its promise is
 * about the distribution the validation rows came from (the expected rate on new rows), not about
 * the realised rate on one batch, and it needs those validation rows' large answers beforehand.
 */
export function learnThenTestThreshold(
  validation: readonly LabelledScoredRow[],
  target: GuaranteeTarget,
  options: { alpha: number; thresholdCount?: number },
): ThresholdChoice {
  checkTarget(target, options.alpha);
  const steps: ThresholdStep[] = [];
  let chosen: number | null = null;
  for (const threshold of candidateThresholds(validation, target, options.thresholdCount ?? 20)) {
    const { trials, failures } = riskCounts(validation, target, threshold);
    // H_j: failure rate > 1 - T. Few failures are unlikely under it: p = P(Bin(trials, 1 - T) <= failures).
    const p = trials === 0 ? 1 : binomialCdf(trials, failures, 1 - target.T);
    const passed = p <= options.alpha;
    steps.push({ threshold, population: trials, target: target.T, observations: trials, passed, why: `p-value ${p.toPrecision(3)} (${failures} failures in ${trials})` });
    if (!passed) break;
    chosen = threshold;
  }
  return finish('learn-then-test', validation, target, options.alpha, chosen, new Map(), steps);
}

function riskCounts(rows: readonly LabelledScoredRow[], target: GuaranteeTarget, threshold: number): { trials: number; failures: number } {
  let trials = 0;
  let failures = 0;
  for (const r of rows) {
    const small = r.confidence >= threshold;
    if (target.kind === 'agreement') {
      trials += 1;
      if (small && r.smallLabel !== r.largeLabel) failures += 1;
    } else if (target.kind === 'precision') {
      if (small && r.smallLabel === target.label) {
        trials += 1;
        if (r.largeLabel !== target.label) failures += 1;
      }
    } else if (r.largeLabel === target.label) {
      trials += 1;
      if (small && r.smallLabel !== target.label) failures += 1;
    }
  }
  return { trials, failures };
}

/** The realised value of a target on a batch whose large answers are all known (for tests and simulations). */
export function realisedTarget(rows: readonly LabelledScoredRow[], target: GuaranteeTarget, routing: Routing): number {
  const output = rows.map((r) => r.largeLabel);
  for (const i of routing.smallRows) output[i] = rows[i]!.smallLabel;
  if (target.kind === 'agreement') return rows.length ? output.filter((o, i) => o === rows[i]!.largeLabel).length / rows.length : 1;
  const label = target.label;
  let hits = 0;
  let total = 0;
  rows.forEach((r, i) => {
    const counted = target.kind === 'precision' ? output[i] === label : r.largeLabel === label;
    if (!counted) return;
    total += 1;
    if (output[i] === r.largeLabel) hits += 1;
  });
  return total ? hits / total : 1;
}

/** How a choice did on a batch whose large answers are all known (simulations and benchmarks). */
export function evaluateChoice(rows: readonly LabelledScoredRow[], target: GuaranteeTarget, choice: ThresholdChoice): { held: boolean; avoided: number; bought: number } {
  const routing = routeBatch(rows, choice);
  return { held: realisedTarget(rows, target, routing) >= target.T, avoided: 1 - routing.largeShare, bought: choice.largeAnswers.size };
}

/** The most rows one agreement threshold could keep on the small side with every large answer known: the ceiling for any method. */
export function agreementCeiling(rows: readonly LabelledScoredRow[], T: number): number {
  const sorted = rows.slice().sort((a, b) => b.confidence - a.confidence);
  let wrong = 0;
  let kept = 0;
  for (const r of sorted) {
    if (r.smallLabel !== r.largeLabel) wrong += 1;
    if (wrong > (1 - T) * rows.length) break;
    kept += 1;
  }
  return rows.length ? kept / rows.length : 0;
}
