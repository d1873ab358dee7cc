import { classCountWarnings, countByLabel } from './class-counts';

describe('class counts', () => {
  it('names each class under the minimum with its count', () => {
    expect(classCountWarnings({ a: 5, b: 30, c: 19 }, 20, 'training rows', ' (--min-per-class)')).toEqual([
      'class "a" has 5 training rows, fewer than 20 (--min-per-class)',
      'class "c" has 19 training rows, fewer than 20 (--min-per-class)',
    ]);
    expect(classCountWarnings({ a: 5 }, 5)).toEqual([]);
  });

  it('counts rows per label of the set, a label no row has as 0', () => {
    expect(countByLabel(['x', 'y', 'z'], ['y', 'x', 'y', undefined, 'other'])).toEqual({ x: 1, y: 2, z: 0 });
  });
});
