/**
 * The DS+ trade-off on a calibration sample: for each delta on a grid, rows with small-model
 * confidence >= delta keep the small model's answer, the rest take the large model's, and we count
 * how many answers are right, what share went to the large model, and what that costs.
 */
import { DEFAULT_DELTA_GRID } from './calibration.js';

export interface CurveRow {
  smallLabel: string;
  smallConfidence: number;
  largeLabel: string;
  /** The true label, when the sample has one. */
  gold?: string;
}

/**
 * 'gold': accuracy against the labels. 'large-agreement': no labels, so "accuracy" is agreement with
 * the large model, which makes the large model 100% by definition and cannot show it is the weaker one.
 */
export type AccuracyBasis = 'gold' | 'large-agreement';

export interface CurvePoint {
  delta: number;
  smallRows: number;
  largeRows: number;
  correct: number;
  accuracy: number;
  queryShare: number;
  dollarsPer1k: number;
}

export interface Tally {
  correct: number;
  accuracy: number;
}

export interface DeltaCurve {
  basis: AccuracyBasis;
  rows: number;
  largeCostPerCall: number;
  smallOnly: Tally;
  largeOnly: Tally;
  /** Ascending delta. */
  points: CurvePoint[];
}

/** delta 0 (the small model answers everything) and 1 (only rows it is certain of), with the paper's range between. */
export const DEFAULT_CURVE_GRID = [0, ...DEFAULT_DELTA_GRID, 1];

export function deltaCurve(rows: readonly CurveRow[], options: { largeCostPerCall: number; grid?: readonly number[] }): DeltaCurve {
  if (rows.length === 0) throw new RangeError('a delta curve needs at least one calibration row');
  if (!(options.largeCostPerCall >= 0)) throw new RangeError(`largeCostPerCall must be >= 0, got ${options.largeCostPerCall}`);
  const withGold = rows.filter((r) => r.gold !== undefined).length;
  if (withGold !== 0 && withGold !== rows.length) {
    throw new RangeError(`${withGold} of ${rows.length} calibration rows have gold labels: give labels for all of them or none`);
  }
  rows.forEach((r, i) => {
    if (!(r.smallConfidence >= 0 && r.smallConfidence <= 1)) throw new RangeError(`row ${i}: smallConfidence must be in [0, 1], got ${r.smallConfidence}`);
  });
  const basis: AccuracyBasis = withGold ? 'gold' : 'large-agreement';
  const truth = (r: CurveRow) => (basis === 'gold' ? r.gold! : r.largeLabel);
  const smallRight = rows.map((r) => r.smallLabel === truth(r));
  const largeRight = rows.map((r) => r.largeLabel === truth(r));
  const n = rows.length;
  const tally = (correct: number): Tally => ({ correct, accuracy: correct / n });

  const grid = [...new Set(options.grid ?? DEFAULT_CURVE_GRID)].sort((a, b) => a - b);
  const points = grid.map((delta): CurvePoint => {
    let smallRows = 0;
    let correct = 0;
    rows.forEach((r, i) => {
      const small = r.smallConfidence >= delta;
      if (small) smallRows += 1;
      if (small ? smallRight[i] : largeRight[i]) correct += 1;
    });
    const largeRows = n - smallRows;
    return {
      delta,
      smallRows,
      largeRows,
      correct,
      accuracy: correct / n,
      queryShare: largeRows / n,
      dollarsPer1k: (1000 * largeRows * options.largeCostPerCall) / n,
    };
  });
  return {
    basis,
    rows: n,
    largeCostPerCall: options.largeCostPerCall,
    smallOnly: tally(smallRight.filter(Boolean).length),
    largeOnly: tally(largeRight.filter(Boolean).length),
    points,
  };
}
