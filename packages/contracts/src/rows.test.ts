import { inGroupsOf, llmCallResultsOf, type LlmCallResult } from './rows.js';

const answer = (line: number): LlmCallResult => ({ line, label: 'spam', source: 'large', c_l: 0.9, tokens: { input: 10, output: 1 }, cost: 0.001, cached: false });

describe('grouped large-model calls', () => {
  it('splits rows into consecutive groups of at most k, in order', () => {
    expect(inGroupsOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(inGroupsOf([1, 2, 3], 10)).toEqual([[1, 2, 3]]);
    expect(inGroupsOf([1, 2], 1)).toEqual([[1], [2]]);
    expect(inGroupsOf([], 3)).toEqual([]);
    expect(() => inGroupsOf([1], 0)).toThrow(/positive integer/);
  });

  it("reads a grouped job's per-row results, and nothing from other return values", () => {
    expect(llmCallResultsOf({ rows: [answer(3), answer(7)] }).map((r) => r.line)).toEqual([3, 7]);
    expect(llmCallResultsOf({ specificVersion: 'v1', learnableVersion: null })).toEqual([]);
    expect(llmCallResultsOf(answer(3))).toEqual([]);
    expect(llmCallResultsOf(undefined)).toEqual([]);
  });
});
