import { mulberry32, shuffled } from '@datashunt/algorithms';
import { stratifiedSplit } from './split';

describe('mulberry32 and shuffled', () => {
  it('repeat for a seed, differ across seeds, stay in [0, 1)', () => {
    const a = Array.from({ length: 1000 }, mulberry32(7));
    expect(Array.from({ length: 1000 }, mulberry32(7))).toEqual(a);
    expect(Array.from({ length: 1000 }, mulberry32(8))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('shuffles into a permutation without touching the input', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const out = shuffled(items, mulberry32(1));
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...out].sort((x, y) => x - y)).toEqual(items);
    expect(out).not.toEqual(items);
  });
});

describe('stratifiedSplit', () => {
  // 70 of class a, 30 of class b, ids unique.
  const items = Array.from({ length: 100 }, (_, i) => ({ id: i, label: i < 70 ? 'a' : 'b' }));
  const split = (seed: number) => stratifiedSplit(items, (x) => x.label, [0.6, 0.2, 0.2], mulberry32(seed));
  const count = (part: typeof items, label: string) => part.filter((x) => x.label === label).length;

  it('keeps each stratum in proportion', () => {
    const [train, validation, test] = split(1);
    expect([train!.length, validation!.length, test!.length]).toEqual([60, 20, 20]);
    expect([count(train!, 'a'), count(validation!, 'a'), count(test!, 'a')]).toEqual([42, 14, 14]);
    expect([count(train!, 'b'), count(validation!, 'b'), count(test!, 'b')]).toEqual([18, 6, 6]);
  });

  it('gives disjoint parts that cover every item once', () => {
    const ids = split(1).flat().map((x) => x.id);
    expect(new Set(ids).size).toBe(items.length);
    expect(ids.length).toBe(items.length);
  });

  it('is a function of the seed', () => {
    expect(split(3)).toEqual(split(3));
    expect(split(3)).not.toEqual(split(4));
  });

  it('gives the rounding rest to the last part', () => {
    const odd = Array.from({ length: 7 }, (_, i) => ({ id: i, label: 'a' }));
    expect(stratifiedSplit(odd, (x) => x.label, [0.5, 0.5], mulberry32(1)).map((p) => p.length)).toEqual([4, 3]);
  });

  it('rejects fractions that do not sum to one', () => {
    expect(() => stratifiedSplit(items, (x) => x.label, [0.5, 0.4], mulberry32(1))).toThrow(/sum to 1/);
  });
});
