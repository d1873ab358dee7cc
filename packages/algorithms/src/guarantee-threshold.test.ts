import {
  bargainThreshold,
  candidateThresholds,
  learnThenTestThreshold,
  realisedTarget,
  routeBatch,
  uniformHoeffdingThreshold,
  type AskLarge,
  type GuaranteeTarget,
  type LabelledScoredRow,
} from './guarantee-threshold.js';
import { mulberry32, type Rng } from './seeded-random.js';

/** An oracle over known answers that records every call, so tests can see what was bought. */
function oracle(rows: readonly LabelledScoredRow[]): { ask: AskLarge; calls: number[][] } {
  const calls: number[][] = [];
  return { calls, ask: async (indexes) => (calls.push(indexes), indexes.map((i) => rows[i]!.largeLabel)) };
}

/** 1,000 rows at confidences 0.000..0.999: the small model agrees exactly on rows with confidence >= 0.5. */
function stepBatch(): LabelledScoredRow[] {
  return Array.from({ length: 1000 }, (_, i) => ({ confidence: i / 1000, smallLabel: i >= 500 ? 'a' : 'b', largeLabel: 'a' }));
}

/** Random batch whose small model agrees with probability equal to its confidence. */
function calibratedBatch(n: number, rng: Rng): LabelledScoredRow[] {
  return Array.from({ length: n }, () => {
    const confidence = 1 - 0.75 * rng() ** 2.5;
    return { confidence, smallLabel: rng() < confidence ? 'a' : 'b', largeLabel: 'a' };
  });
}

const agreement90: GuaranteeTarget = { kind: 'agreement', T: 0.9 };

describe('candidateThresholds', () => {
  it('walks the confidences from the top in equal row steps, without duplicates', () => {
    expect(candidateThresholds(stepBatch(), agreement90, 4)).toEqual([0.75, 0.5, 0.25, 0]);
    const tied = [0.9, 0.9, 0.9, 0.1].map((confidence) => ({ confidence, smallLabel: 'a' }));
    expect(candidateThresholds(tied, agreement90, 4)).toEqual([0.9, 0.1]);
  });

  it('uses only the rows the small model gives the class for a precision target', () => {
    const rows = [
      { confidence: 0.99, smallLabel: 'spam' },
      { confidence: 0.95, smallLabel: 'ham' },
      { confidence: 0.7, smallLabel: 'spam' },
    ];
    expect(candidateThresholds(rows, { kind: 'precision', T: 0.9, label: 'spam' }, 2)).toEqual([0.99, 0.7]);
  });
});

describe('bargainThreshold', () => {
  it('finds the edge of the agreeing block, buys each row once in small batches, and keeps the promise', async () => {
    const rows = stepBatch();
    const { ask, calls } = oracle(rows);
    const choice = await bargainThreshold(rows, agreement90, ask, { alpha: 0.1, rng: mulberry32(1), batchSize: 10 });
    // 0.45 adds 50 disagreeing rows (allowed: 100), 0.40 would put the rate exactly at its target.
    expect([0.45, 0.5]).toContain(choice.threshold);
    const bought = calls.flat();
    expect(new Set(bought).size).toBe(bought.length);
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(10);
    expect(choice.largeAnswers.size).toBe(bought.length);
    const routing = routeBatch(rows, choice);
    expect(realisedTarget(rows, agreement90, routing)).toBeGreaterThanOrEqual(0.9);
    expect(routing.largeShare).toBeLessThan(0.6);
    expect(choice.largeShare).toBe(routing.largeShare);
    expect(choice.reason).toMatch(/small model answers rows with confidence >= 0\.(45|5)00/);
  });

  it('gives a small model that never agrees no more rows than the target allows wrong', async () => {
    const rows = stepBatch().map((r) => ({ ...r, smallLabel: 'b' }));
    const choice = await bargainThreshold(rows, agreement90, oracle(rows).ask, { alpha: 0.1, rng: mulberry32(2) });
    const routing = routeBatch(rows, choice);
    expect(routing.smallRows.length).toBeLessThanOrEqual(100);
    expect(realisedTarget(rows, agreement90, routing)).toBeGreaterThanOrEqual(0.9);
  });

  it('holds its agreement target on at least 1 - alpha of 150 seeded batches', async () => {
    let held = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rng = mulberry32(seed);
      const rows = calibratedBatch(1500, rng);
      const choice = await bargainThreshold(rows, agreement90, oracle(rows).ask, { alpha: 0.1, rng });
      if (realisedTarget(rows, agreement90, routeBatch(rows, choice)) >= 0.9) held += 1;
    }
    expect(held / 150).toBeGreaterThanOrEqual(0.9);
  });

  it('meets a precision target for one class, ignoring rows given other classes', async () => {
    const rng = mulberry32(3);
    // Spam predictions are right in proportion to confidence; ham predictions are always wrong but
    // cannot hurt spam precision, so they must not hold the threshold back.
    const rows: LabelledScoredRow[] = Array.from({ length: 2000 }, () => {
      const confidence = 0.5 + 0.5 * rng();
      if (rng() < 0.5) return { confidence, smallLabel: 'ham', largeLabel: 'spam' };
      return { confidence, smallLabel: 'spam', largeLabel: rng() < confidence ? 'spam' : 'ham' };
    });
    const target: GuaranteeTarget = { kind: 'precision', T: 0.9, label: 'spam' };
    const choice = await bargainThreshold(rows, target, oracle(rows).ask, { alpha: 0.1, rng });
    expect(choice.threshold).not.toBeNull();
    expect(choice.threshold!).toBeLessThan(0.95);
    expect(realisedTarget(rows, target, routeBatch(rows, choice))).toBeGreaterThanOrEqual(0.9);
  });

  it('meets a recall target: confident misses of the class keep the threshold above them', async () => {
    // 500 spam rows; the small model calls 80 of them ham at confidence 0.9 (recall 84% if those stay
    // with it), and is right on everything else, which it rates above 0.95.
    const rows: LabelledScoredRow[] = Array.from({ length: 1000 }, (_, i) => {
      if (i < 80) return { confidence: 0.9, smallLabel: 'ham', largeLabel: 'spam' };
      const confidence = 0.95 + i / 100000;
      return i < 500 ? { confidence, smallLabel: 'spam', largeLabel: 'spam' } : { confidence, smallLabel: 'ham', largeLabel: 'ham' };
    });
    const target: GuaranteeTarget = { kind: 'recall', T: 0.9, label: 'spam' };
    const choice = await bargainThreshold(rows, target, oracle(rows).ask, { alpha: 0.1, rng: mulberry32(4), maxQueriesPerThreshold: 300 });
    expect(choice.threshold).not.toBeNull();
    expect(choice.threshold!).toBeGreaterThan(0.9);
    const routing = routeBatch(rows, choice);
    expect(realisedTarget(rows, target, routing)).toBeGreaterThanOrEqual(0.9);
    expect(routing.smallRows.length).toBeGreaterThan(500);
  });

  it('refuses a bad oracle answer and bad settings', async () => {
    const rows = stepBatch();
    await expect(bargainThreshold(rows, agreement90, async () => ['a'], { alpha: 0.1, rng: mulberry32(1) })).rejects.toThrow(/answered 1 of/);
    await expect(bargainThreshold(rows, { kind: 'agreement', T: 1.2 }, oracle(rows).ask, { alpha: 0.1, rng: mulberry32(1) })).rejects.toThrow(/T must be/);
  });
});

describe('uniformHoeffdingThreshold', () => {
  it('buys one uniform sample in one call and certifies the agreeing block', async () => {
    const rows = stepBatch();
    const { ask, calls } = oracle(rows);
    const choice = await uniformHoeffdingThreshold(rows, agreement90, ask, { alpha: 0.1, rng: mulberry32(5), sampleSize: 400 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(400);
    expect(choice.threshold).toBeGreaterThanOrEqual(0.45);
    expect(choice.threshold).toBeLessThanOrEqual(0.6);
    expect(realisedTarget(rows, agreement90, routeBatch(rows, choice))).toBeGreaterThanOrEqual(0.9);
  });
});

describe('learnThenTestThreshold', () => {
  it('stops at the first threshold whose binomial p-value exceeds alpha', () => {
    const choice = learnThenTestThreshold(stepBatch(), agreement90, { alpha: 0.1 });
    // 0.45 lets 50 wrong rows of 1,000 through against a 10% allowance (p tiny); 0.40 lets exactly
    // 100 through, which is what a 10% risk would produce half the time.
    expect(choice.threshold).toBe(0.45);
    const failed = choice.steps[choice.steps.length - 1]!;
    expect(failed).toMatchObject({ threshold: 0.4, passed: false });
    expect(failed.why).toMatch(/100 failures in 1000/);
  });

  it('says plainly when no threshold can be certified', () => {
    const rows = stepBatch().map((r) => ({ ...r, smallLabel: 'b' }));
    const choice = learnThenTestThreshold(rows, { kind: 'agreement', T: 0.99 }, { alpha: 0.1 });
    expect(choice.threshold).toBeNull();
    expect(choice.reason).toMatch(/no threshold could be certified.*every row goes to the large model.*Predicted large-model share: 100\.0%\.$/);
    expect(choice.largeShare).toBe(1);
  });
});
