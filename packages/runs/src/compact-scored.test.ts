import { decodeScoredRows, encodeScoredRows, type CompactScoredRow } from './compact-scored.js';

/** float32 values, as ONNX gives them: the layout stores confidences and probabilities as float32. */
const f = Math.fround;

const roundTrip = (rows: CompactScoredRow[]) => decodeScoredRows(encodeScoredRows(rows));

describe('compact scored rows, binary layout', () => {
  it('gives back every optional field, row by row', () => {
    const rows: CompactScoredRow[] = [
      { line: 1, id: 'a', gold: 'great', s1: { index: 0, confidence: f(0.91) }, s2: { index: 1, confidence: f(0.55) }, probs: [f(0.91), f(0.09)], columns: { shop: 'x', stars: 5, tags: ['a', null] } },
      { line: 2, id: 7, s1: { index: 1, confidence: f(0.6) }, probs: [f(0.4), f(0.6)] },
      { line: 3, id: 'c', reject: 'input: expected a non-empty string' },
      { line: 4, id: 0, gold: 'other', s1: { index: 1, confidence: 1 }, probs: [0, 1] },
      { line: 5, id: 'e', s1: { index: 0, confidence: f(0.5) }, s2: { index: 0, confidence: f(0.75) }, probs: [f(0.5), f(0.5)], columns: {} },
      { line: 6, id: 'f', reject: 'input: expected a non-empty string' },
    ];
    expect(roundTrip(rows)).toEqual(rows);
  });

  it('keeps string and numeric ids apart, with large integers and line numbers past 2^32', () => {
    const rows: CompactScoredRow[] = [
      { line: 2 ** 40, id: '12', s1: { index: 0, confidence: 1 }, probs: [1, 0] },
      { line: 2 ** 32 + 1, id: 12, s1: { index: 0, confidence: 1 }, probs: [1, 0] },
      { line: 3, id: Number.MAX_SAFE_INTEGER, s1: { index: 0, confidence: 1 }, probs: [1, 0] },
      { line: 4, id: -5, reject: 'bad' },
    ];
    const back = roundTrip(rows);
    expect(back).toEqual(rows);
    expect(back.map((r) => typeof r.id)).toEqual(['string', 'number', 'number', 'number']);
  });

  it('carries unicode in ids, labels, reject reasons and columns', () => {
    const rows: CompactScoredRow[] = [
      { line: 1, id: 'ключ-😀', gold: 'très bien', s1: { index: 2, confidence: f(0.4) }, probs: [f(0.3), f(0.3), f(0.4)], columns: { 'é': '日本語', note: 'a\nb"c\\' } },
      { line: 2, id: '\u{1F600}\uD800', reject: 'ligne illisible : « » \u0000' },
    ];
    expect(roundTrip(rows)).toEqual(rows);
  });

  it('stores an empty shard', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('reads a layout that does not start on an 8-byte boundary (a slice of a larger buffer)', () => {
    const rows: CompactScoredRow[] = [{ line: 1, id: 'a', s1: { index: 9, confidence: f(0.3) }, probs: Array.from({ length: 10 }, (_, i) => f(i / 45)) }];
    const bytes = encodeScoredRows(rows);
    const padded = Buffer.alloc(bytes.length + 3);
    bytes.copy(padded, 3);
    expect(decodeScoredRows(padded.subarray(3))).toEqual(rows);
  });

  it('stores labels and reject reasons once, however many rows repeat them', () => {
    const rowsOf = (n: number) => Array.from({ length: n }, (_, i): CompactScoredRow => (i % 2 ? { line: i + 1, id: i, reject: 'a long reason repeated on every rejected row' } : { line: i + 1, id: i, gold: 'a long label name', s1: { index: 0, confidence: 1 }, probs: [1] }));
    const perRow = (encodeScoredRows(rowsOf(2000)).length - encodeScoredRows(rowsOf(1000)).length) / 1000;
    expect(perRow).toBeLessThanOrEqual(8 + 8 + 4 + 4 + 4 + 2 + 1 + 4);
  });

  it('refuses what it cannot store: uneven probabilities, a class index past 16 bits, other bytes', () => {
    expect(() => encodeScoredRows([
      { line: 1, id: 1, s1: { index: 0, confidence: 1 }, probs: [1, 0] },
      { line: 2, id: 2, s1: { index: 0, confidence: 1 }, probs: [1, 0, 0] },
    ])).toThrow(/line 2 has 3 probabilities, the shard's first has 2/);
    expect(() => encodeScoredRows([{ line: 1, id: 1, s1: { index: 70_000, confidence: 1 }, probs: [1] }])).toThrow(/line 1 has class index 70000/);
    expect(() => decodeScoredRows(Buffer.from('{"line":1}\n'))).toThrow(/not the binary layout/);
  });
});
