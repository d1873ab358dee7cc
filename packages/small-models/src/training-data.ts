import type { FeaturizerConfig } from '@datashunt/contracts';
import { argmax } from '@datashunt/algorithms';
import { SmallModelError, TrainingDataError } from './errors.js';
import type { ModelInput } from './feeds.js';
import { rowFeatures, type RowFeatures } from './row-features.js';

/**
 * A labelled row: a hard `label`, or a soft `target` (a probability per class in label order, e.g. a
 * teacher's softmax for 2CD). A batch may mix both.
 */
export interface TrainingRow {
  input: ModelInput;
  label?: string;
  target?: ArrayLike<number>;
}

/** Rows ready for the networks: features, and per row either a class index or a target distribution. */
export interface PreparedRows {
  features: RowFeatures[];
  /** Class index of a hard label, -1 for a soft row. */
  hard: Int32Array;
  soft: Array<Float64Array | undefined>;
}

const TARGET_SUM_TOLERANCE = 1e-3;

/** Validates and featurizes rows; `set` names the set in error messages ("training", "validation"). */
export function prepareRows(rows: readonly TrainingRow[], labels: readonly string[], featurizer: FeaturizerConfig, set: string): PreparedRows {
  const index = new Map(labels.map((l, i) => [l, i]));
  const hard = new Int32Array(rows.length);
  const soft: Array<Float64Array | undefined> = [];
  rows.forEach((row, i) => {
    if (row.target !== undefined) {
      hard[i] = -1;
      soft.push(checkTarget(row.target, labels.length, `${set} row ${i}`));
      return;
    }
    const k = row.label === undefined ? undefined : index.get(row.label);
    if (k === undefined) {
      throw new TrainingDataError(
        row.label === undefined
          ? `${set} row ${i} has neither a label nor a target`
          : `${set} row ${i}: label "${row.label}" is not one of ${JSON.stringify(labels)}`,
      );
    }
    hard[i] = k;
    soft.push(undefined);
  });
  try {
    return { features: rowFeatures(featurizer, rows.map((r) => r.input)), hard, soft };
  } catch (error) {
    if (error instanceof SmallModelError) throw new TrainingDataError(`${set} set: ${error.message}`);
    throw error;
  }
}

/** The class a row stands for: its label, or its target's most likely class. */
export function goldIndex(rows: PreparedRows, i: number): number {
  const k = rows.hard[i]!;
  return k >= 0 ? k : argmax(rows.soft[i]!);
}

/** Refuses a training set in which some class never occurs (a model cannot learn what it never saw). */
export function requireEveryClass(rows: PreparedRows, labels: readonly string[]): void {
  const seen = new Uint8Array(labels.length);
  for (let i = 0; i < rows.features.length; i++) seen[goldIndex(rows, i)] = 1;
  const missing = labels.filter((_, k) => !seen[k]);
  if (missing.length > 0) {
    throw new TrainingDataError(`class${missing.length > 1 ? 'es' : ''} ${missing.map((m) => `"${m}"`).join(', ')} never occur${missing.length > 1 ? '' : 's'} in the training data`);
  }
}

function checkTarget(target: ArrayLike<number>, classes: number, where: string): Float64Array {
  if (target.length !== classes) throw new TrainingDataError(`${where}: target has ${target.length} probabilities for ${classes} labels`);
  const out = Float64Array.from(target);
  let sum = 0;
  for (const p of out) {
    if (!Number.isFinite(p) || p < 0) throw new TrainingDataError(`${where}: target has ${p}, not a probability`);
    sum += p;
  }
  if (Math.abs(sum - 1) > TARGET_SUM_TOLERANCE) throw new TrainingDataError(`${where}: target sums to ${sum}, not 1`);
  return out;
}
