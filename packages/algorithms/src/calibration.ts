import { topClass } from './confidence.js';

export interface DeltaPoint {
  delta: number;
  /** Share of rows the small model would answer (confidence >= delta). */
  coverage: number;
  /** Accuracy of the small model on the rows it would answer; null when it answers none. */
  acceptedAccuracy: number | null;
}

/** Default grid: dense in 0.9-0.999 where the paper (Sec. 4.7) found delta matters most. */
export const DEFAULT_DELTA_GRID = [
  0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995, 0.999,
];

export function deltaSweep(probs: ArrayLike<number>[], gold: number[], grid = DEFAULT_DELTA_GRID): DeltaPoint[] {
  const tops = probs.map((p) => topClass(p));
  return grid.map((delta) => {
    let accepted = 0;
    let correct = 0;
    tops.forEach((t, i) => {
      if (t.confidence >= delta) {
        accepted += 1;
        if (t.index === gold[i]) correct += 1;
      }
    });
    return {
      delta,
      coverage: tops.length ? accepted / tops.length : 0,
      acceptedAccuracy: accepted ? correct / accepted : null,
    };
  });
}

/**
 * Chooses delta on held-out data: the lowest threshold on the grid at which the small model's accuracy
 * on the rows it keeps reaches `targetAccuracy` (e.g. the large model's accuracy, so shunting loses
 * nothing), with at least `minAccepted` rows behind the estimate. Falls back to the grid's highest value.
 */
export function calibrateDelta(
  probs: ArrayLike<number>[],
  gold: number[],
  targetAccuracy: number,
  options: { grid?: number[]; minAccepted?: number } = {},
): DeltaPoint {
  const grid = [...(options.grid ?? DEFAULT_DELTA_GRID)].sort((a, b) => a - b);
  const minAccepted = options.minAccepted ?? 20;
  const sweep = deltaSweep(probs, gold, grid);
  const chosen = sweep.find(
    (p) => p.acceptedAccuracy !== null && p.acceptedAccuracy >= targetAccuracy && p.coverage * probs.length >= minAccepted,
  );
  return chosen ?? sweep[sweep.length - 1]!;
}
