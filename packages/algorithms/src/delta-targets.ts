/** Choosing delta on a DS+ curve for a target the user states; infeasible targets say so, never fall back. */
import type { CurvePoint, DeltaCurve } from './delta-curve.js';

export type DeltaTarget =
  | { target: 'max-accuracy' }
  /** Fewest large-model queries with accuracy >= the large model's less `tolerance` (a fraction, e.g. 0.005). */
  | { target: 'match-large'; tolerance: number }
  /** Best accuracy within a query share and/or dollars per 1,000 rows. */
  | { target: 'budget'; maxQueryShare?: number; maxDollarsPer1k?: number };

export type DeltaChoice = { feasible: true; point: CurvePoint; reason: string } | { feasible: false; reason: string };

/** A query share this small is "(almost) nothing" in words. */
const ALMOST_NOTHING = 0.05;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** More correct answers first, then fewer large-model queries. */
function better(a: CurvePoint, b: CurvePoint): boolean {
  return a.correct > b.correct || (a.correct === b.correct && a.largeRows < b.largeRows);
}

function best(points: readonly CurvePoint[], isBetter: (a: CurvePoint, b: CurvePoint) => boolean): CurvePoint | undefined {
  return points.reduce<CurvePoint | undefined>((acc, p) => (acc === undefined || isBetter(p, acc) ? p : acc), undefined);
}

function describe(p: CurvePoint): string {
  return `delta ${p.delta} gives ${pct(p.accuracy)} sending ${pct(p.queryShare)} of rows to the large model ($${p.dollarsPer1k.toFixed(2)} per 1,000 rows)`;
}

function basisNote(curve: DeltaCurve): string {
  return curve.basis === 'large-agreement'
    ? ' (accuracy here is agreement with the large model, as the sample has no labels, so it cannot show when the large model is the weaker one)'
    : '';
}

export function chooseDelta(curve: DeltaCurve, target: DeltaTarget): DeltaChoice {
  if (curve.points.length === 0) return { feasible: false, reason: 'The curve has no points to choose from.' };
  switch (target.target) {
    case 'max-accuracy':
      return chooseMaxAccuracy(curve);
    case 'match-large':
      return chooseMatchLarge(curve, target.tolerance);
    case 'budget':
      return chooseBudget(curve, target);
  }
}

function chooseMaxAccuracy(curve: DeltaCurve): DeltaChoice {
  const point = best(curve.points, better)!;
  const { smallOnly, largeOnly } = curve;
  if (curve.basis === 'gold' && largeOnly.correct < smallOnly.correct) {
    return {
      feasible: true,
      point,
      reason:
        `The large model is weaker than the small model on this sample (${pct(largeOnly.accuracy)} against ${pct(smallOnly.accuracy)}): ` +
        // Say "(almost) nothing" only when it is so; a weaker model can still win the small model's least sure rows.
        `${point.queryShare <= ALMOST_NOTHING ? 'max-accuracy routes (almost) nothing to it' : 'max-accuracy sends it only the rows where it does better than the small model'}: ${describe(point)}.`,
    };
  }
  return {
    feasible: true,
    point,
    reason: `Best DS+ accuracy on the sample: ${describe(point)}, against ${pct(smallOnly.accuracy)} for the small model alone and ${pct(largeOnly.accuracy)} for the large one${basisNote(curve)}.`,
  };
}

function chooseMatchLarge(curve: DeltaCurve, tolerance: number): DeltaChoice {
  if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${tolerance}`);
  const needed = curve.largeOnly.accuracy - tolerance;
  // Compare counts, not fractions, so a point exactly at the bar is not lost to rounding.
  const neededCorrect = Math.ceil(needed * curve.rows - 1e-9);
  const fewest = best(
    curve.points.filter((p) => p.correct >= neededCorrect),
    (a, b) => a.largeRows < b.largeRows || (a.largeRows === b.largeRows && a.correct > b.correct),
  );
  if (!fewest) {
    const top = best(curve.points, better)!;
    return {
      feasible: false,
      reason: `No delta on the grid reaches the large model's ${pct(curve.largeOnly.accuracy)} less ${pct(tolerance)} (${pct(needed)}): the best is ${describe(top)}; only sending every row to the large model matches it.`,
    };
  }
  return {
    feasible: true,
    point: fewest,
    reason: `Fewest large-model queries within ${pct(tolerance)} of the large model's ${pct(curve.largeOnly.accuracy)}: ${describe(fewest)}${basisNote(curve)}.`,
  };
}

function chooseBudget(curve: DeltaCurve, target: { maxQueryShare?: number; maxDollarsPer1k?: number }): DeltaChoice {
  const { maxQueryShare, maxDollarsPer1k } = target;
  if (maxQueryShare === undefined && maxDollarsPer1k === undefined) throw new RangeError('a budget target needs maxQueryShare or maxDollarsPer1k');
  const limits = [
    maxQueryShare === undefined ? '' : `a query share of at most ${pct(maxQueryShare)}`,
    maxDollarsPer1k === undefined ? '' : `at most $${maxDollarsPer1k} per 1,000 rows`,
  ].filter(Boolean).join(' and ');
  const within = curve.points.filter(
    (p) => (maxQueryShare === undefined || p.queryShare <= maxQueryShare) && (maxDollarsPer1k === undefined || p.dollarsPer1k <= maxDollarsPer1k),
  );
  const point = best(within, better);
  if (!point) {
    const cheapest = best(curve.points, (a, b) => a.largeRows < b.largeRows)!;
    return { feasible: false, reason: `No delta on the grid stays within ${limits}: the cheapest, ${describe(cheapest)}.` };
  }
  return { feasible: true, point, reason: `Best DS+ accuracy within ${limits}: ${describe(point)}${basisNote(curve)}.` };
}
