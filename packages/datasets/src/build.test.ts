import { countRows } from './build';
import { formatCountsTable } from './format';
import type { DatasetMeta } from './types';

describe('countRows', () => {
  it('counts labels in the fixed order, zeros included, and groups sorted', () => {
    const rows = [
      { id: '1', input: 'a', label: 'spam', group: 'spam' },
      { id: '2', input: 'b', label: 'spam', group: 'spam' },
      { id: '3', input: 'c', label: 'ham', group: 'hard-ham' },
    ];
    const stats = countRows(['ham', 'spam', 'other'], rows);
    expect(stats).toEqual({ total: 3, byLabel: { ham: 1, spam: 2, other: 0 }, byGroup: { 'hard-ham': 1, spam: 2 } });
    expect(Object.keys(stats.byLabel)).toEqual(['ham', 'spam', 'other']);
  });

  it('leaves byGroup out when rows carry no group', () => {
    expect(countRows(['x'], [{ id: '1', input: [1], label: 'x' }])).toEqual({ total: 1, byLabel: { x: 1 } });
  });
});

describe('formatCountsTable', () => {
  it('prints one aligned line per split', () => {
    const stats = (total: number) => ({ file: '', total, byLabel: { a: total }, sha256: '' });
    const meta = { name: 'spam', splits: { train: stats(1200), validation: stats(5), test: stats(40) } } as unknown as DatasetMeta;
    expect(formatCountsTable([meta]).split('\n')).toEqual([
      'dataset  split       rows  per label  per group',
      'spam     train       1200  a=1200',
      'spam     validation     5  a=5',
      'spam     test          40  a=40',
    ]);
  });
});
