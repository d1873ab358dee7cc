import { createHash } from 'node:crypto';
import type { ResultSource } from '@datashunt/contracts';

/**
 * The 2CD sample selection of the paper (Sec. 3.2, Eq. 6-8, Algorithm 1), with no I/O.
 *
 * x1 = {C_s1 >= delta}: the specialist's confident rows, target its own probabilities (Eq. 8), so the
 * learnable copy keeps what the specialist knows. x2 = {C_s1 < delta}; x3 = the rows of x2 the large
 * model answered with C_l >= delta, target the large model's answer (Eq. 7): the new knowledge.
 * Rows of x2 outside x3 teach nothing trustworthy and are left out.
 */

/** Why a row of a run is not in the distillation set. */
export type SkipReason =
  /** Ingest, the scorer or the router refused the row: it has no probabilities to learn from. */
  | 'rejected'
  /** C_s1 < delta, but the large model was not asked or gave no answer (learnable, fallback). */
  | 'no-large-answer'
  /** The large model answered with C_l < delta: its answer is not trusted enough to teach (x2 \ x3). */
  | 'large-unsure'
  /** The large model's label is not one of the task's labels. */
  | 'unknown-label'
  /** The same input was already taken from a newer run. */
  | 'duplicate'
  /** The set reached its size cap. */
  | 'over-cap';

export const SKIP_REASONS: readonly SkipReason[] = ['rejected', 'no-large-answer', 'large-unsure', 'unknown-label', 'duplicate', 'over-cap'];

/** What a finished run recorded about one row: the specialist's probabilities and how the row was answered. */
export interface RowEvidence {
  /** F_s1's class probabilities in label order; null when the row was rejected. */
  p1: readonly number[] | null;
  /** The row's result; null when the row was rejected. */
  result: { source: ResultSource; label: string; c_l: number | null } | null;
}

export type DistillSetName = 'x1' | 'x3';

export type Selection = { set: DistillSetName; target: number[] } | { set: 'skip'; reason: SkipReason };

/** Places one row in x1, x3 or neither, with its soft target (a probability per label, summing to 1). */
export function selectForDistillation(evidence: RowEvidence, delta: number, labels: readonly string[]): Selection {
  const { p1, result } = evidence;
  if (!p1 || !result) return { set: 'skip', reason: 'rejected' };
  if (Math.max(...p1) >= delta) return { set: 'x1', target: normalized(p1) };
  // Only a real answer of the large model teaches; a fallback is the small model's own guess.
  if (result.source !== 'large' || result.c_l === null) return { set: 'skip', reason: 'no-large-answer' };
  if (result.c_l < delta) return { set: 'skip', reason: 'large-unsure' };
  const index = labels.indexOf(result.label);
  if (index < 0) return { set: 'skip', reason: 'unknown-label' };
  return { set: 'x3', target: largeModelTarget(index, result.c_l, labels.length) };
}

/**
 * The large model's distribution for Eq. 7. A chat API gives the probability of the answer token only
 * (C_l), not a distribution over the task's labels, so C_l goes to the answered label and the rest,
 * 1 - C_l, is spread evenly over the other labels: the least committal distribution with that C_l.
 */
export function largeModelTarget(index: number, c_l: number, classes: number): number[] {
  const confidence = Math.min(Math.max(c_l, 0), 1);
  const rest = (1 - confidence) / (classes - 1);
  return Array.from({ length: classes }, (_, k) => (k === index ? confidence : rest));
}

/** F_s1's probabilities are float32 softmax outputs; renormalise so the target sums to 1 exactly. */
function normalized(p: readonly number[]): number[] {
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / sum);
}

export interface DistillRow<I = unknown> {
  id: string | number;
  input: I;
  set: DistillSetName;
  target: number[];
}

export interface DistillSet<I = unknown> {
  x1: DistillRow<I>[];
  x3: DistillRow<I>[];
  skipped: Record<SkipReason, number>;
}

/**
 * Accumulates selected rows from runs read newest first. A repeated input keeps its newest row. At most
 * `maxRows` rows are kept: x3 first (the large model's knowledge is the scarce part), x1 fills the
 * rest, so memory stays bounded by 2 x maxRows while reading.
 */
export class DistillSetBuilder<I = unknown> {
  private readonly x1: DistillRow<I>[] = [];
  private readonly x3: DistillRow<I>[] = [];
  private readonly seen = new Set<string>();
  private readonly skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;

  constructor(private readonly maxRows: number) {
    if (!(maxRows > 0)) throw new Error(`maxRows must be positive, got ${maxRows}`);
  }

  add(row: { id: string | number; input: I }, selection: Selection): void {
    if (selection.set === 'skip') {
      this.skipped[selection.reason] += 1;
      return;
    }
    const key = inputKey(row.input);
    if (this.seen.has(key)) {
      this.skipped.duplicate += 1;
      return;
    }
    this.seen.add(key);
    const into = selection.set === 'x1' ? this.x1 : this.x3;
    if (into.length >= this.maxRows) this.skipped['over-cap'] += 1;
    else into.push({ id: row.id, input: row.input, set: selection.set, target: selection.target });
  }

  build(): DistillSet<I> {
    const x1 = this.x1.slice(0, Math.max(0, this.maxRows - this.x3.length));
    return { x1, x3: [...this.x3], skipped: { ...this.skipped, 'over-cap': this.skipped['over-cap'] + this.x1.length - x1.length } };
  }
}

/** A short fingerprint of an input, so duplicates are found without keeping every input twice. */
function inputKey(input: unknown): string {
  return createHash('sha1').update(typeof input === 'string' ? input : JSON.stringify(input)).digest('base64');
}

/**
 * Training rows for one optimisation over both KL terms. The paper alternates Eq. 7 (x3) and Eq. 8 (x1)
 * steps, which weighs the two sets equally however many rows each has; here x3 is repeated up to
 * `maxRepeat` times towards the size of x1 and the trainer shuffles everything together, so every
 * mini-batch carries both terms in about equal weight. The cap keeps a few hundred large-model answers
 * from being memorised at the expense of the specialist's knowledge.
 */
export function mixForTraining<R>(x1: readonly R[], x3: readonly R[], maxRepeat = 4): { rows: R[]; x3Repeat: number } {
  const x3Repeat = x3.length === 0 ? 0 : Math.min(maxRepeat, Math.max(1, Math.floor(x1.length / x3.length)));
  const rows = [...x1];
  for (let r = 0; r < x3Repeat; r++) rows.push(...x3);
  return { rows, x3Repeat };
}
