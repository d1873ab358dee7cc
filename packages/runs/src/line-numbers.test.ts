import { shiftLineNumbers } from './line-numbers.js';

describe('shiftLineNumbers', () => {
  it('moves the line of every record on and leaves every other byte as it was', () => {
    const records = [
      { id: 'a', line: 1, label: 'x' },
      { id: '"line":7', line: 2, label: 'y' },
      { id: 3, line: 10, note: 'line: 99' },
    ];
    const jsonl = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const shifted = shiftLineNumbers(jsonl, 4_990).toString().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(shifted).toEqual(records.map((r) => ({ ...r, line: r.line + 4_990 })));
  });

  it('returns the bytes untouched for the first shard, and refuses a record with no line', () => {
    const jsonl = Buffer.from('{"id":"a","line":1}\n');
    expect(shiftLineNumbers(jsonl, 0)).toBe(jsonl);
    expect(() => shiftLineNumbers(Buffer.from('{"id":"a"}\n{"line":2}\n'), 5)).toThrow('without a line number');
  });
});

describe('shiftLineNumbers at scale', () => {
  it('numbers thousands of records right across digit-count changes, with and without a final newline', () => {
    const records = Array.from({ length: 5_000 }, (_, i) => ({ id: `r${i}`, line: i + 1, label: i % 2 ? 'great' : 'other', probs: [0.25, 0.75] }));
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    for (const [by, jsonl] of [[9_995, `${text}\n`], [99_999_999, text]] as const) {
      const shifted = shiftLineNumbers(Buffer.from(jsonl), by).toString();
      expect(shifted.endsWith('\n')).toBe(jsonl.endsWith('\n'));
      expect(shifted.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(records.map((r) => ({ ...r, line: r.line + by })));
    }
  });
});
