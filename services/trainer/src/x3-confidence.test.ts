import { mulberry32 } from '@datashunt/algorithms';
import { DistillSetBuilder } from './distill-set';
import { calibrateLargeConfidence, MIN_LABELLED_FOR_TEMPERATURE } from './large-confidence';
import { x3Confidence } from './x3-confidence';

/**
 * An over-confident large model on a 4-class task: it reports C_l 1 on half the rows and is right on
 * 95% of them, and C_l 0.97 on the other half, where it is right only half the time.
 */
function overConfident(seed: number, rows: number, holdout = { fraction: 0.5, seed: 1 }) {
  const random = mulberry32(seed);
  const builder = new DistillSetBuilder<string>(10_000, 4, holdout);
  for (let i = 0; i < rows; i++) {
    const easy = i % 2 === 0;
    const gold = i % 4;
    const right = random() < (easy ? 0.95 : 0.5);
    const answer = right ? gold : (gold + 1) % 4;
    builder.add({ id: i, input: `row ${i}` }, { set: 'answered', index: answer, c_l: easy ? 1 : 0.97 }, { delta: 0.9, p1: [0.4, 0.3, 0.2, 0.1], gold });
  }
  return builder;
}

describe('x3 confidence', () => {
  it('fits a temperature on labelled held-out answers and selects a smaller, more accurate x3', () => {
    const { set, confidence } = x3Confidence(overConfident(7, 800), 4);
    expect(confidence.calibrated).toBe(true);
    expect(confidence.temperature!).toBeGreaterThan(1);
    expect(confidence.note).toContain('C_l calibrated: temperature');
    // Raw C_l puts every answer (half of them a coin toss) in x3; calibrated, the 0.97s fall below delta.
    expect(confidence.rawAccuracy!.rows).toBeGreaterThan(300);
    expect(confidence.rawAccuracy!.accuracy).toBeLessThan(0.8);
    expect(confidence.accuracy!.rows).toBe(set.x3.length);
    expect(confidence.accuracy!.rows).toBeLessThan(confidence.rawAccuracy!.rows * 0.7);
    expect(confidence.accuracy!.accuracy).toBeGreaterThan(0.9);
    // The calibrated confidence is the x3 target: less than the raw 1.
    expect(Math.max(...set.x3[0]!.target)).toBeLessThan(0.999);
  });

  it('says C_l is uncalibrated when too few held-out answers carry labels', () => {
    const builder = new DistillSetBuilder<string>(100, 2, { fraction: 0.5, seed: 1 });
    for (let i = 0; i < 30; i++) builder.add({ id: i, input: `row ${i}` }, { set: 'answered', index: 0, c_l: 0.95 }, { delta: 0.9, p1: [0.6, 0.4] });
    const { set, confidence } = x3Confidence(builder, 2);
    expect(confidence).toMatchObject({ calibrated: false, temperature: null, labelledRows: 0, accuracy: null, rawAccuracy: null });
    expect(confidence.note).toContain('uncalibrated: no held-out large-model answer carries a gold label');
    expect(set.x3.length + set.heldOut.length).toBe(30);
  });

  it('needs at least the minimum of labelled answers for a fit', () => {
    const answer = { set: 'answered', index: 0, c_l: 0.99 } as const;
    const few = Array.from({ length: MIN_LABELLED_FOR_TEMPERATURE - 1 }, () => ({ answer, gold: 1 }));
    expect(calibrateLargeConfidence(few, 2).calibrated).toBe(false);
    const fit = calibrateLargeConfidence([...few, { answer, gold: 0 }], 2);
    expect(fit.calibrated).toBe(true);
    // Wrong 19 times out of 20 at C_l 0.99: the calibrated confidence goes towards one half, as far as a
    // temperature (which never reorders classes) can take it.
    expect(fit.confidence(0.99, 0)).toBeLessThan(0.6);
  });
});
