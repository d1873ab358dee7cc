import { classifyRow, DistillSetBuilder, largeModelTarget, mixForTraining, selectForDistillation, type RowEvidence } from './distill-set';

const labels = ['ham', 'spam', 'phish'];
const large = (label: string, c_l: number): RowEvidence['result'] => ({ source: 'large', label, c_l });

describe('selectForDistillation (Eq. 6-8)', () => {
  it('puts a row the specialist is sure of in x1 with its own probabilities as the target (Eq. 8)', () => {
    const choice = selectForDistillation({ p1: [0.005, 0.99, 0.005], result: { source: 'small', label: 'spam', c_l: null } }, 0.99, labels);
    expect(choice).toEqual({ set: 'x1', target: [0.005, 0.99, 0.005] });
  });

  it('uses the specialist target even when the large model also answered a confident row', () => {
    expect(selectForDistillation({ p1: [0.995, 0.004, 0.001], result: large('spam', 0.999) }, 0.99, labels).set).toBe('x1');
  });

  it('puts a hard row the large model answered with C_l >= delta in x3, target C_l on its label (Eq. 7)', () => {
    const choice = selectForDistillation({ p1: [0.5, 0.3, 0.2], result: large('phish', 0.99) }, 0.99, labels);
    expect(choice.set).toBe('x3');
    if (choice.set !== 'x3') return;
    expect(choice.target[2]).toBeCloseTo(0.99, 12);
    expect(choice.target[0]).toBeCloseTo(0.005, 12);
    expect(choice.target[1]).toBeCloseTo(0.005, 12);
  });

  it('leaves out the rest of x2: unsure large answers, fallbacks, learnable answers, rejects, unknown labels', () => {
    const hard = [0.6, 0.4, 0];
    expect(selectForDistillation({ p1: hard, result: large('spam', 0.9) }, 0.99, labels)).toEqual({ set: 'skip', reason: 'large-unsure' });
    expect(selectForDistillation({ p1: hard, result: { source: 'fallback', label: 'ham', c_l: null } }, 0.99, labels)).toEqual({ set: 'skip', reason: 'no-large-answer' });
    expect(selectForDistillation({ p1: hard, result: { source: 'learnable', label: 'ham', c_l: null } }, 0.99, labels)).toEqual({ set: 'skip', reason: 'no-large-answer' });
    expect(selectForDistillation({ p1: null, result: null }, 0.99, labels)).toEqual({ set: 'skip', reason: 'rejected' });
    expect(selectForDistillation({ p1: hard, result: null }, 0.99, labels)).toEqual({ set: 'skip', reason: 'rejected' });
    expect(selectForDistillation({ p1: hard, result: large('eggs', 1) }, 0.99, labels)).toEqual({ set: 'skip', reason: 'unknown-label' });
  });

  it('compares with the run’s own delta, inclusive as in Algorithm 2', () => {
    expect(selectForDistillation({ p1: [0.9, 0.1, 0], result: large('ham', 0.9) }, 0.9, labels).set).toBe('x1');
    expect(selectForDistillation({ p1: [0.8, 0.2, 0], result: large('spam', 0.9) }, 0.9, labels).set).toBe('x3');
  });

  it('classifies a large-model answer of x2 without a threshold, so x3 can be selected once C_l is calibrated', () => {
    expect(classifyRow({ p1: [0.5, 0.3, 0.2], result: large('phish', 0.4) }, 0.99, labels)).toEqual({ set: 'answered', index: 2, c_l: 0.4 });
    expect(selectForDistillation({ p1: [0.5, 0.3, 0.2], result: large('phish', 0.995) }, 0.99, labels, (c) => c / 2)).toEqual({ set: 'skip', reason: 'large-unsure' });
  });

  it('renormalises float32 probabilities so the target sums to 1', () => {
    const x1 = selectForDistillation({ p1: [0.9950001, 0.0050001, 0], result: { source: 'small', label: 'ham', c_l: null } }, 0.99, labels);
    expect(x1.set === 'x1' && x1.target.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('largeModelTarget', () => {
  it('is a distribution for any number of classes', () => {
    for (const classes of [2, 3, 10]) {
      const target = largeModelTarget(1, 0.97, classes);
      expect(target).toHaveLength(classes);
      expect(target.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(target[1]).toBe(0.97);
    }
  });

  it('clamps a confidence rounded above 1', () => {
    expect(largeModelTarget(0, 1.0000001, 2)).toEqual([1, 0]);
  });
});

describe('DistillSetBuilder', () => {
  const x1 = { set: 'x1', target: [1, 0, 0] } as const;
  const sure = { set: 'answered', index: 1, c_l: 0.999 } as const;
  const context = { delta: 0.9, p1: [0.5, 0.3, 0.2] };

  it('counts skipped rows by reason and keeps the first (newest) copy of an input', () => {
    const builder = new DistillSetBuilder<string>(10, 3);
    builder.add({ id: 1, input: 'a' }, sure, context);
    builder.add({ id: 2, input: 'a' }, x1, context);
    builder.add({ id: 3, input: 'b' }, { set: 'skip', reason: 'rejected' }, context);
    builder.add({ id: 4, input: 'b' }, x1, context);
    builder.add({ id: 5, input: 'c' }, { set: 'answered', index: 0, c_l: 0.6 }, context);
    const set = builder.build();
    expect(set.x3.map((r) => r.id)).toEqual([1]);
    expect(set.x3[0]!.target[1]).toBeCloseTo(0.999, 12);
    expect(set.x1.map((r) => r.id)).toEqual([4]);
    expect(set.skipped).toMatchObject({ duplicate: 1, rejected: 1, 'large-unsure': 1, 'over-cap': 0 });
  });

  it('tells image inputs apart by their pixels', () => {
    const builder = new DistillSetBuilder<number[]>(10, 3);
    builder.add({ id: 1, input: [1, 2] }, x1, context);
    builder.add({ id: 2, input: [2, 1] }, x1, context);
    builder.add({ id: 3, input: [1, 2] }, x1, context);
    expect(builder.build().x1.map((r) => r.id)).toEqual([1, 2]);
  });

  it('keeps x3 first when capped, and fills the rest with the newest x1 rows', () => {
    const builder = new DistillSetBuilder<string>(4, 3);
    for (let i = 0; i < 5; i++) builder.add({ id: `e${i}`, input: `easy ${i}` }, x1, context);
    for (let i = 0; i < 3; i++) builder.add({ id: `h${i}`, input: `hard ${i}` }, sure, context);
    const set = builder.build();
    expect(set.x3.map((r) => r.id)).toEqual(['h0', 'h1', 'h2']);
    expect(set.x1.map((r) => r.id)).toEqual(['e0']);
    expect(set.skipped['over-cap']).toBe(4);
  });

  it('holds out a seeded share of the large model’s answers, never x1, the same inputs for the same seed', () => {
    const fill = (seed: number) => {
      const builder = new DistillSetBuilder<string>(10_000, 3, { fraction: 0.2, seed });
      for (let i = 0; i < 1000; i++) builder.add({ id: i, input: `hard ${i}` }, sure, { ...context, gold: 1 });
      for (let i = 0; i < 100; i++) builder.add({ id: `e${i}`, input: `easy ${i}` }, x1, context);
      return builder.build();
    };
    const a = fill(1);
    expect(a.heldOut.length).toBeGreaterThan(150);
    expect(a.heldOut.length).toBeLessThan(250);
    expect(a.heldOut.length + a.x3.length).toBe(1000);
    expect(a.x1).toHaveLength(100);
    // Training never sees a held-out input.
    const trained = new Set(a.x3.map((r) => r.id));
    expect(a.heldOut.some((r) => trained.has(r.id))).toBe(false);
    expect(a.heldOut[0]).toMatchObject({ delta: 0.9, p1: context.p1, gold: 1, answer: sure });
    expect(fill(1).heldOut.map((r) => r.id)).toEqual(a.heldOut.map((r) => r.id));
    expect(fill(2).heldOut.map((r) => r.id)).not.toEqual(a.heldOut.map((r) => r.id));
  });

  it('selects x3 with the confidence it is given at build time, each row at its own run’s delta', () => {
    const builder = new DistillSetBuilder<string>(10, 3);
    builder.add({ id: 1, input: 'a' }, { set: 'answered', index: 0, c_l: 0.95 }, { ...context, delta: 0.9 });
    builder.add({ id: 2, input: 'b' }, { set: 'answered', index: 2, c_l: 0.99 }, { ...context, delta: 0.9 });
    builder.add({ id: 3, input: 'c' }, { set: 'answered', index: 2, c_l: 0.95 }, { ...context, delta: 0.96 });
    expect(builder.build().x3.map((r) => r.id)).toEqual([1, 2]);
    const halved = builder.build((c) => c - 0.05);
    expect(halved.x3.map((r) => r.id)).toEqual([2]);
    expect(halved.x3[0]!.target[2]).toBeCloseTo(0.94, 12);
    expect(halved.skipped['large-unsure']).toBe(2);
  });
});

describe('mixForTraining', () => {
  it('repeats x3 towards the size of x1, at most maxRepeat times, so both KL terms weigh about the same', () => {
    const x1 = Array.from({ length: 10 }, (_, i) => `e${i}`);
    expect(mixForTraining(x1, ['h0', 'h1', 'h2']).x3Repeat).toBe(3);
    expect(mixForTraining(x1, ['h0']).x3Repeat).toBe(4);
    expect(mixForTraining(x1, ['h0'], 2).rows.filter((r) => r === 'h0')).toHaveLength(2);
    expect(mixForTraining(['e0'], ['h0', 'h1']).x3Repeat).toBe(1);
    expect(mixForTraining(x1, []).rows).toEqual(x1);
  });
});
