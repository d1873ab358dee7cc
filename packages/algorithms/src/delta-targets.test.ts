import { deltaCurve, type CurvePoint, type DeltaCurve } from './delta-curve.js';
import { chooseDelta } from './delta-targets.js';

/** A curve over 100 rows from (delta, correct, largeRows) triples; $0.01 per large call. */
function curve(points: [number, number, number][], smallCorrect: number, largeCorrect: number, basis: DeltaCurve['basis'] = 'gold'): DeltaCurve {
  const rows = 100;
  const cost = 0.01;
  return {
    basis,
    rows,
    largeCostPerCall: cost,
    smallOnly: { correct: smallCorrect, accuracy: smallCorrect / rows },
    largeOnly: { correct: largeCorrect, accuracy: largeCorrect / rows },
    points: points.map(
      ([delta, correct, largeRows]): CurvePoint => ({
        delta,
        correct,
        largeRows,
        smallRows: rows - largeRows,
        accuracy: correct / rows,
        queryShare: largeRows / rows,
        dollarsPer1k: (1000 * largeRows * cost) / rows,
      }),
    ),
  };
}

// Small alone 80%, large alone 90%; DS+ peaks at 93% twice, the second time with fewer queries.
const usual = curve([[0, 80, 0], [0.5, 86, 10], [0.8, 93, 30], [0.9, 93, 45], [0.95, 91, 60], [1, 90, 100]], 80, 90);

describe('chooseDelta', () => {
  it('max-accuracy takes the best accuracy and breaks ties towards fewer queries', () => {
    const choice = chooseDelta(usual, { target: 'max-accuracy' });
    expect(choice).toMatchObject({ feasible: true, point: { delta: 0.8 } });
    expect(choice.reason).toMatch(/93\.0% sending 30\.0% of rows.*\$3\.00 per 1,000 rows.*80\.0% for the small model alone and 90\.0%/);
  });

  it('max-accuracy routes (almost) nothing to a large model weaker than the small one, and says so', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({
      smallLabel: i < 50 ? 'right' : 'wrong',
      smallConfidence: i < 50 ? 0.99 : 0.4,
      largeLabel: i < 15 ? 'right' : 'wrong',
      gold: 'right',
    }));
    const choice = chooseDelta(deltaCurve(rows, { largeCostPerCall: 0.01 }), { target: 'max-accuracy' });
    expect(choice.feasible && choice.point.queryShare).toBe(0);
    expect(choice.reason).toMatch(/^The large model is weaker than the small model on this sample \(15\.0% against 50\.0%\): max-accuracy routes \(almost\) nothing to it/);
  });

  it('max-accuracy says a weaker large model still gets the rows where it does better, when that is more than almost nothing', () => {
    // Small 80, large 70; at delta 0.9 the large model takes 20 rows and gets 10 more right than the small model would.
    const choice = chooseDelta(curve([[0, 80, 0], [0.9, 90, 20], [1, 70, 100]], 80, 70), { target: 'max-accuracy' });
    expect(choice).toMatchObject({ feasible: true, point: { delta: 0.9 } });
    expect(choice.reason).toMatch(/^The large model is weaker than the small model on this sample \(70\.0% against 80\.0%\): max-accuracy sends it only the rows where it does better than the small model: delta 0\.9/);
  });

  it('max-accuracy without labels warns that agreement cannot expose a weaker large model', () => {
    const choice = chooseDelta(curve([[0, 80, 0], [1, 100, 100]], 80, 100, 'large-agreement'), { target: 'max-accuracy' });
    expect(choice.reason).toMatch(/agreement with the large model.*cannot show when the large model is the weaker one/);
  });

  it('match-large takes the fewest queries within the tolerance, exactly at the bar included', () => {
    expect(chooseDelta(usual, { target: 'match-large', tolerance: 0 })).toMatchObject({ point: { delta: 0.8 } });
    // 90% - 4% = 86%: delta 0.5 reaches it exactly.
    expect(chooseDelta(usual, { target: 'match-large', tolerance: 0.04 })).toMatchObject({ feasible: true, point: { delta: 0.5 } });
  });

  it('match-large says plainly when no grid point reaches the large model', () => {
    const choice = chooseDelta(curve([[0, 60, 0], [0.9, 70, 40]], 60, 90), { target: 'match-large', tolerance: 0.01 });
    expect(choice.feasible).toBe(false);
    expect(choice.reason).toMatch(/No delta on the grid reaches the large model's 90\.0% less 1\.0% \(89\.0%\): the best is delta 0\.9/);
  });

  it('budget takes the best accuracy within a query share or a dollar cap, ties to fewer queries', () => {
    expect(chooseDelta(usual, { target: 'budget', maxQueryShare: 0.2 })).toMatchObject({ point: { delta: 0.5 } });
    expect(chooseDelta(usual, { target: 'budget', maxQueryShare: 0.5 })).toMatchObject({ point: { delta: 0.8 } });
    expect(chooseDelta(usual, { target: 'budget', maxDollarsPer1k: 3 })).toMatchObject({ point: { delta: 0.8 } });
    expect(chooseDelta(usual, { target: 'budget', maxDollarsPer1k: 2.99, maxQueryShare: 1 })).toMatchObject({ point: { delta: 0.5 } });
  });

  it('budget refuses an unmeetable cap with the cheapest option, and a target without any cap', () => {
    const choice = chooseDelta(curve([[0.5, 86, 10], [1, 90, 100]], 80, 90), { target: 'budget', maxQueryShare: 0.05 });
    expect(choice).toEqual({ feasible: false, reason: expect.stringMatching(/No delta on the grid stays within a query share of at most 5\.0%: the cheapest, delta 0\.5/) });
    expect(() => chooseDelta(usual, { target: 'budget' })).toThrow(/maxQueryShare or maxDollarsPer1k/);
  });
});
