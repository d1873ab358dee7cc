import type { DatasetRow, ResultRecord } from '@datashunt/contracts';
import { trainingRowsOf } from './bootstrap.js';
import { drawSeeded } from './calibration-sample.js';

const result = (line: number, over: Partial<ResultRecord>): ResultRecord => ({
  id: `r${line}`, line, label: 'spam', source: 'large', c_s1: 0.5, c_s2: null, c_l: 0.9, tokens: { input: 10, output: 1 }, cost: 0.001, modelVersion: 'none', ...over,
});

describe('trainingRowsOf', () => {
  const sample: DatasetRow[] = Array.from({ length: 6 }, (_, i) => ({ id: `r${i + 1}`, input: `text ${i + 1}` }));

  it("learns only the large model's resolved answers and counts the rest by reason", () => {
    const results = [
      result(1, { label: 'ham' }),
      result(2, { label: 'spam' }),
      result(3, { source: 'fallback', fallbackReason: 'unresolved', label: 'ham' }),
      result(4, { source: 'fallback', fallbackReason: 'llm_error', label: 'ham' }),
      result(5, { source: 'large', fallbackReason: 'unresolved', label: 'ham' }),
      // line 6 has no result: rejected
    ];
    const { train, excluded } = trainingRowsOf(sample, sample, results);
    expect(train).toEqual([
      { id: 'r1', input: 'text 1', label: 'ham' },
      { id: 'r2', input: 'text 2', label: 'spam' },
    ]);
    expect(excluded).toEqual({ unresolved: 2, llm_error: 1, rejected: 1 });
  });

  it('joins a subset of the sample by its line in the sample, not its place in the subset', () => {
    const subset = [sample[3]!, sample[1]!];
    const { train } = trainingRowsOf(sample, subset, [result(2, { label: 'ham' }), result(4, { label: 'spam' })]);
    expect(train).toEqual([
      { id: 'r4', input: 'text 4', label: 'spam' },
      { id: 'r2', input: 'text 2', label: 'ham' },
    ]);
  });
});

describe('drawSeeded', () => {
  const rows = Array.from({ length: 100 }, (_, i) => i);

  it('splits every row into exactly one of the draw and the rest, both in file order, the same for the same seed', () => {
    const { picked, rest } = drawSeeded(rows, 30, 7);
    expect(picked).toHaveLength(30);
    expect([...picked, ...rest].sort((a, b) => a - b)).toEqual(rows);
    expect(picked).toEqual([...picked].sort((a, b) => a - b));
    expect(drawSeeded(rows, 30, 7)).toEqual({ picked, rest });
    expect(drawSeeded(rows, 30, 8).picked).not.toEqual(picked);
  });
});
