import { longTailCounts } from './mnist-lt';

describe('longTailCounts', () => {
  it('follows n_max * ratio^(-k/(C-1)) from n_max down to n_max/ratio', () => {
    expect(longTailCounts(5000, 100, 10)).toEqual([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
    expect(longTailCounts(500, 100, 100)[99]).toBe(5);
    expect(longTailCounts(100, 1, 4)).toEqual([100, 100, 100, 100]);
  });
});
