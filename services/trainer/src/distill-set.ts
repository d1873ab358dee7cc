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

/** A row of x2 the large model answered with a known label: x3 if its confidence reaches delta. */
export interface LargeAnswer {
  set: 'answered';
  /** The large model's label, as an index into the task's labels. */
  index: number;
  /** The large model's raw confidence, as the run recorded it. */
  c_l: number;
}

export type Classification = { set: 'x1'; target: number[] } | LargeAnswer | { set: 'skip'; reason: SkipReason };

/** Maps the large model's raw confidence in its answer to the confidence x3 is selected with. */
export type LargeConfidence = (c_l: number, index: number) => number;

export const RAW_CONFIDENCE: LargeConfidence = (c_l) => c_l;

/** Eq. 6-8 up to the large model's confidence: x1, a large-model answer of x2, or neither. */
export function classifyRow(evidence: RowEvidence, delta: number, labels: readonly string[]): Classification {
  const { p1, result } = evidence;
  if (!p1 || !result) return { set: 'skip', reason: 'rejected' };
  if (Math.max(...p1) >= delta) return { set: 'x1', target: normalized(p1) };
  // Only a real answer of the large model teaches; a fallback is the small model's own guess.
  if (result.source !== 'large' || result.c_l === null) return { set: 'skip', reason: 'no-large-answer' };
  const index = labels.indexOf(result.label);
  if (index < 0) return { set: 'skip', reason: 'unknown-label' };
  return { set: 'answered', index, c_l: result.c_l };
}

/** x3 = the large-model answers of x2 whose (calibrated) confidence reaches delta, target that confidence on the answer (Eq. 7). */
export function selectX3(answer: LargeAnswer, delta: number, classes: number, confidence: LargeConfidence = RAW_CONFIDENCE): Selection {
  const c = confidence(answer.c_l, answer.index);
  if (c < delta) return { set: 'skip', reason: 'large-unsure' };
  return { set: 'x3', target: largeModelTarget(answer.index, c, classes) };
}

/** Places one row in x1, x3 or neither, with its soft target (a probability per label, summing to 1). */
export function selectForDistillation(evidence: RowEvidence, delta: number, labels: readonly string[], confidence: LargeConfidence = RAW_CONFIDENCE): Selection {
  const row = classifyRow(evidence, delta, labels);
  return row.set === 'answered' ? selectX3(row, delta, labels.length, confidence) : row;
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
  /** The row's gold label (an index into the task's labels), when its dataset carried one. */
  gold?: number;
}

/** A large-model answer of x2 kept out of training, on which the promotion gate compares DS+ with and without a version. */
export interface HeldOutRow<I = unknown> {
  id: string | number;
  input: I;
  /** F_s1's probabilities, for the router's decision. */
  p1: readonly number[];
  /** The delta of the row's run. */
  delta: number;
  answer: LargeAnswer;
  gold?: number;
}

export interface DistillSet<I = unknown> {
  x1: DistillRow<I>[];
  x3: DistillRow<I>[];
  heldOut: HeldOutRow<I>[];
  skipped: Record<SkipReason, number>;
}

/** What the builder needs of a row besides its classification. */
export interface RowContext {
  delta: number;
  p1: readonly number[] | null;
  gold?: number;
}

/** A seeded share of the large model's answers that training never sees (the promotion gate's rows). */
export interface HoldOut {
  fraction: number;
  seed: number;
}

export const NO_HOLDOUT: HoldOut = { fraction: 0, seed: 0 };

interface Candidate<I> {
  id: string | number;
  input: I;
  delta: number;
  answer: LargeAnswer;
  gold?: number;
}

/**
 * Accumulates classified rows from runs read newest first. A repeated input keeps its newest row. The
 * large model's answers are split by a seeded hash of the input into held-out rows and x3 candidates,
 * so the same input lands on the same side in every round. x3 is selected at build time, once the
 * confidence calibration (fitted on the held-out rows) is known. At most `maxRows` rows are kept: x3
 * first (the large model's knowledge is the scarce part), x1 fills the rest, so memory stays bounded
 * by about 3 x maxRows while reading.
 */
export class DistillSetBuilder<I = unknown> {
  private readonly x1: DistillRow<I>[] = [];
  private readonly candidates: Candidate<I>[] = [];
  private readonly heldOut: HeldOutRow<I>[] = [];
  private readonly seen = new Set<string>();
  private readonly skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;

  constructor(
    private readonly maxRows: number,
    private readonly classes: number,
    private readonly holdout: HoldOut = NO_HOLDOUT,
  ) {
    if (!(maxRows > 0)) throw new Error(`maxRows must be positive, got ${maxRows}`);
    if (!(holdout.fraction >= 0 && holdout.fraction < 1)) throw new Error(`the held-out fraction must be in [0, 1), got ${holdout.fraction}`);
  }

  add(row: { id: string | number; input: I }, classification: Classification, context: RowContext): void {
    if (classification.set === 'skip') {
      this.skipped[classification.reason] += 1;
      return;
    }
    const key = inputKey(row.input);
    if (this.seen.has(key)) {
      this.skipped.duplicate += 1;
      return;
    }
    this.seen.add(key);
    const gold = context.gold === undefined ? {} : { gold: context.gold };
    if (classification.set === 'x1') {
      if (this.x1.length >= this.maxRows) this.skipped['over-cap'] += 1;
      else this.x1.push({ id: row.id, input: row.input, set: 'x1', target: classification.target, ...gold });
      return;
    }
    if (isHeldOutKey(key, this.holdout)) {
      if (this.heldOut.length >= this.maxRows) this.skipped['over-cap'] += 1;
      else this.heldOut.push({ id: row.id, input: row.input, p1: context.p1!, delta: context.delta, answer: classification, ...gold });
      return;
    }
    if (this.candidates.length >= this.maxRows) this.skipped['over-cap'] += 1;
    else this.candidates.push({ id: row.id, input: row.input, delta: context.delta, answer: classification, ...gold });
  }

  /** The set, with x3 selected by `confidence` (the raw C_l unless calibrated). Does not change the builder. */
  build(confidence: LargeConfidence = RAW_CONFIDENCE): DistillSet<I> {
    const skipped = { ...this.skipped };
    const x3: DistillRow<I>[] = [];
    for (const c of this.candidates) {
      const selection = selectX3(c.answer, c.delta, this.classes, confidence);
      if (selection.set === 'skip') skipped[selection.reason] += 1;
      else x3.push({ id: c.id, input: c.input, set: 'x3', target: selection.target, ...(c.gold === undefined ? {} : { gold: c.gold }) });
    }
    const x1 = this.x1.slice(0, Math.max(0, this.maxRows - x3.length));
    skipped['over-cap'] += this.x1.length - x1.length;
    return { x1, x3, heldOut: [...this.heldOut], skipped };
  }
}

/** Whether an input falls in the held-out share, for a given seed. */
export function isHeldOut(input: unknown, holdout: HoldOut): boolean {
  return isHeldOutKey(inputKey(input), holdout);
}

function isHeldOutKey(key: string, holdout: HoldOut): boolean {
  if (holdout.fraction === 0) return false;
  const digest = createHash('sha1').update(`${holdout.seed}\n${key}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < holdout.fraction;
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
