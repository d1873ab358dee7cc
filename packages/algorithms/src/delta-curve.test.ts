import { deltaCurve, type CurveRow } from './delta-curve.js';

// Small wrong where the large model is right (r2, r4) and right where it is wrong (r3).
const rows: CurveRow[] = [
  { smallLabel: 'a', smallConfidence: 0.99, largeLabel: 'a', gold: 'a' },
  { smallLabel: 'b', smallConfidence: 0.95, largeLabel: 'a', gold: 'a' },
  { smallLabel: 'a', smallConfidence: 0.6, largeLabel: 'b', gold: 'a' },
  { smallLabel: 'b', smallConfidence: 0.3, largeLabel: 'a', gold: 'a' },
];

describe('deltaCurve', () => {
  it('counts DS+ accuracy, query share and dollars per 1,000 rows at each delta against gold labels', () => {
    const curve = deltaCurve(rows, { largeCostPerCall: 0.002, grid: [1, 0.5, 0, 0.96] });
    expect(curve.basis).toBe('gold');
    expect(curve.smallOnly).toEqual({ correct: 2, accuracy: 0.5 });
    expect(curve.largeOnly).toEqual({ correct: 3, accuracy: 0.75 });
    expect(curve.points.map((p) => [p.delta, p.correct, p.largeRows])).toEqual([
      [0, 2, 0],
      [0.5, 3, 1],
      [0.96, 3, 3],
      [1, 3, 4],
    ]);
    expect(curve.points[1]).toMatchObject({ accuracy: 0.75, queryShare: 0.25, dollarsPer1k: 0.5 });
  });

  it('without labels measures agreement with the large model and says so', () => {
    const curve = deltaCurve(rows.map(({ gold: _gold, ...r }) => r), { largeCostPerCall: 0, grid: [0, 0.5, 0.96] });
    expect(curve.basis).toBe('large-agreement');
    expect(curve.largeOnly.accuracy).toBe(1);
    expect(curve.points.map((p) => p.correct)).toEqual([1, 2, 4]);
  });

  it('rejects half-labelled samples, empty samples and impossible confidences', () => {
    expect(() => deltaCurve([rows[0]!, { ...rows[1]!, gold: undefined }], { largeCostPerCall: 0 })).toThrow(/1 of 2 calibration rows have gold/);
    expect(() => deltaCurve([], { largeCostPerCall: 0 })).toThrow(/at least one/);
    expect(() => deltaCurve([{ ...rows[0]!, smallConfidence: 1.5 }], { largeCostPerCall: 0 })).toThrow(/row 0: smallConfidence/);
  });
});
