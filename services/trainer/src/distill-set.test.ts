import { DistillSetBuilder, largeModelTarget, mixForTraining, selectForDistillation, type RowEvidence } from './distill-set';

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
  const x3 = { set: 'x3', target: [0, 1, 0] } as const;

  it('counts skipped rows by reason and keeps the first (newest) copy of an input', () => {
    const builder = new DistillSetBuilder<string>(10);
    builder.add({ id: 1, input: 'a' }, x3);
    builder.add({ id: 2, input: 'a' }, x1);
    builder.add({ id: 3, input: 'b' }, { set: 'skip', reason: 'large-unsure' });
    builder.add({ id: 4, input: 'b' }, x1);
    const set = builder.build();
    expect(set.x3.map((r) => r.id)).toEqual([1]);
    expect(set.x1.map((r) => r.id)).toEqual([4]);
    expect(set.skipped).toMatchObject({ duplicate: 1, 'large-unsure': 1, 'over-cap': 0 });
  });

  it('tells image inputs apart by their pixels', () => {
    const builder = new DistillSetBuilder<number[]>(10);
    builder.add({ id: 1, input: [1, 2] }, x1);
    builder.add({ id: 2, input: [2, 1] }, x1);
    builder.add({ id: 3, input: [1, 2] }, x1);
    expect(builder.build().x1.map((r) => r.id)).toEqual([1, 2]);
  });

  it('keeps x3 first when capped, and fills the rest with the newest x1 rows', () => {
    const builder = new DistillSetBuilder<string>(4);
    for (let i = 0; i < 5; i++) builder.add({ id: `e${i}`, input: `easy ${i}` }, x1);
    for (let i = 0; i < 3; i++) builder.add({ id: `h${i}`, input: `hard ${i}` }, x3);
    const set = builder.build();
    expect(set.x3.map((r) => r.id)).toEqual(['h0', 'h1', 'h2']);
    expect(set.x1.map((r) => r.id)).toEqual(['e0']);
    expect(set.skipped['over-cap']).toBe(4);
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
