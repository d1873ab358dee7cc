import { mulberry32 } from './seeded-random.js';
import { applyTemperature, confidenceToProbs, fitTemperature, type TemperatureRow } from './temperature.js';

/** Two-class rows whose true P(class 0) is sigmoid(z) but whose model reports sigmoid(sharpness z). */
function rows(sharpness: number, seed: number): TemperatureRow[] {
  const rng = mulberry32(seed);
  return Array.from({ length: 4000 }, () => {
    const z = 4 * (rng() - 0.5);
    const reported = 1 / (1 + Math.exp(-sharpness * z));
    return { probs: [reported, 1 - reported], gold: rng() < 1 / (1 + Math.exp(-z)) ? 0 : 1 };
  });
}

describe('temperature scaling', () => {
  it('applies p^(1/T) renormalised: T = 1 keeps, T > 1 softens, T < 1 sharpens', () => {
    expect(applyTemperature([0.8, 0.2], 1)[0]).toBeCloseTo(0.8, 12);
    expect(applyTemperature([0.8, 0.2], 2)[0]).toBeCloseTo(2 / 3, 12);
    expect(applyTemperature([0.8, 0.2], 0.5)[0]).toBeCloseTo(0.64 / 0.68, 12);
    expect(applyTemperature([1, 0], 3)[0]).toBeCloseTo(1, 6);
  });

  it('recovers the over-confidence factor and lowers the NLL', () => {
    const over = fitTemperature(rows(3, 1));
    expect(over.temperature).toBeGreaterThan(2.6);
    expect(over.temperature).toBeLessThan(3.4);
    expect(over.nllAfter).toBeLessThan(over.nllBefore);
    const under = fitTemperature(rows(0.5, 2));
    expect(under.temperature).toBeGreaterThan(0.4);
    expect(under.temperature).toBeLessThan(0.6);
    const calibrated = fitTemperature(rows(1, 3));
    expect(Math.abs(calibrated.temperature - 1)).toBeLessThan(0.15);
  });

  it('spreads a single confidence over the other classes and rejects bad input', () => {
    expect(confidenceToProbs(0.7, 1, 4)).toEqual([0.1, 0.7, 0.1, 0.1].map((p) => expect.closeTo(p, 12)));
    expect(() => confidenceToProbs(0.7, 4, 4)).toThrow(/not one of 4 classes/);
    expect(() => fitTemperature([{ probs: [0.5, 0.5], gold: 2 }])).toThrow(/row 0: gold 2/);
    expect(() => fitTemperature([])).toThrow(/at least one/);
  });
});
