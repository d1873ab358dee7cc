import { bettingLowerBound, hoeffdingLowerBound, MeanAboveTest } from './betting-bounds.js';
import { binomialCdf, binomialUpperTail, clopperPearsonLowerBound } from './binomial.js';
import { mulberry32, shuffled } from './seeded-random.js';

/** k ones spread evenly through n draws: an order an exchangeable sequence makes typical. */
function spread(n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * k) / n) - Math.floor((i * k) / n));
}

function bernoulli(n: number, p: number, rng: () => number): number[] {
  return Array.from({ length: n }, () => (rng() < p ? 1 : 0));
}

describe('binomial tails', () => {
  it('match hand-computed values', () => {
    expect(binomialCdf(3, 1, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialUpperTail(4, 4, 0.5)).toBeCloseTo(1 / 16, 12);
    expect(binomialUpperTail(10, 0, 0.3)).toBe(1);
  });

  it('Clopper-Pearson lower bound solves P(X >= k) = alpha', () => {
    expect(clopperPearsonLowerBound(0, 50, 0.1)).toBe(0);
    // All successes: the bound is alpha^(1/n).
    expect(clopperPearsonLowerBound(20, 20, 0.1)).toBeCloseTo(0.1 ** (1 / 20), 8);
    const lb = clopperPearsonLowerBound(37, 100, 0.05);
    expect(binomialUpperTail(100, 37, lb)).toBeCloseTo(0.05, 6);
  });
});

describe('bettingLowerBound', () => {
  it('gives 0 for all zeros, a high bound for all ones, and about half for alternating data', () => {
    expect(bettingLowerBound(Array(100).fill(0), 0.1)).toBeLessThan(1e-6);
    const ones = bettingLowerBound(Array(100).fill(1), 0.1);
    expect(ones).toBeGreaterThan(0.9);
    expect(ones).toBeLessThan(1);
    const alternating = bettingLowerBound(spread(200, 100), 0.1);
    expect(alternating).toBeGreaterThan(0.35);
    expect(alternating).toBeLessThan(0.5);
  });

  it('falls as alpha falls and rises with n at the same proportion', () => {
    const xs = spread(300, 240);
    const bounds = [0.2, 0.1, 0.05, 0.01].map((a) => bettingLowerBound(xs, a));
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]).toBeLessThan(bounds[i - 1]!);
    const byN = [50, 200, 800, 3200].map((n) => bettingLowerBound(spread(n, 0.8 * n), 0.1));
    for (let i = 1; i < byN.length; i++) expect(byN[i]).toBeGreaterThan(byN[i - 1]!);
    expect(byN[3]).toBeLessThan(0.8);
  });

  it('is never tighter than the exact Clopper-Pearson bound on i.i.d.-looking data', () => {
    for (const n of [10, 30, 100, 300, 1000]) {
      for (const share of [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 1]) {
        const k = Math.round(share * n);
        for (const alpha of [0.05, 0.1]) {
          expect(bettingLowerBound(spread(n, k), alpha)).toBeLessThanOrEqual(clopperPearsonLowerBound(k, n, alpha) + 1e-9);
        }
      }
    }
  });

  it('covers the true mean in at least 1 - alpha of 2,000 seeded Bernoulli trials', () => {
    // The bound is at most p exactly when p itself is never rejected (the rejected means are [0, L)),
    // so coverage counts trials whose capital process at the true p stayed below 1/alpha.
    const rng = mulberry32(7);
    let covered = 0;
    let coveredHoeffding = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const p = 0.55 + 0.4 * rng();
      const xs = bernoulli(150, p, rng);
      const test = new MeanAboveTest(p, 0.1);
      if (!xs.some((x) => test.observe(x))) covered += 1;
      if (hoeffdingLowerBound(xs, 0.1) <= p) coveredHoeffding += 1;
      if (trial % 50 === 0) expect(bettingLowerBound(xs, 0.1) <= p).toBe(!test.isRejected);
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.9);
    expect(coveredHoeffding / 2000).toBeGreaterThanOrEqual(0.9);
  });

  it('without replacement: covers the population mean, beats the i.i.d. bound, and reaches it when all is drawn', () => {
    const rng = mulberry32(11);
    const population = [...Array(450).fill(1), ...Array(50).fill(0)];
    const mean = 0.9;
    for (const bet of ['plug-in', 'agrapa'] as const) {
      let covered = 0;
      for (let trial = 0; trial < 1000; trial++) {
        const test = new MeanAboveTest(mean, 0.1, { populationSize: 500, bet });
        if (!shuffled(population, rng).slice(0, 200).some((x) => test.observe(x))) covered += 1;
      }
      expect(covered / 1000).toBeGreaterThanOrEqual(0.9);
    }
    const sample = spread(400, 360);
    expect(bettingLowerBound(sample, 0.1, { populationSize: 500 })).toBeGreaterThan(bettingLowerBound(sample, 0.1));
    expect(bettingLowerBound(spread(500, 450), 0.1, { populationSize: 500 })).toBeGreaterThan(0.899);
    expect(bettingLowerBound(spread(500, 450), 0.1, { populationSize: 500 })).toBeLessThanOrEqual(0.9);
  });

  it('rejects observations outside [0, 1] and draws past the population', () => {
    expect(() => bettingLowerBound([0.5, 1.2], 0.1)).toThrow(/\[0, 1\]/);
    expect(() => bettingLowerBound([1], 1.5)).toThrow(/alpha/);
    const test = new MeanAboveTest(0.5, 0.1, { populationSize: 1 });
    test.observe(1);
    expect(() => test.observe(1)).toThrow(/population/);
  });
});

describe('hoeffdingLowerBound', () => {
  it('is the mean less sqrt(log(1/alpha) / 2n), floored at 0', () => {
    expect(hoeffdingLowerBound(spread(100, 80), 0.1)).toBeCloseTo(0.8 - Math.sqrt(Math.log(10) / 200), 12);
    expect(hoeffdingLowerBound([0, 0], 0.1)).toBe(0);
  });
});
