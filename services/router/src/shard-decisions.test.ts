import type { LlmCallResult } from '@datashunt/contracts';
import type { CompactScoredRow } from '@datashunt/runs';
// The routing tests' shard, so both stages are tested on the same rows.
import { manifest, scored } from '../../../packages/runs/src/testing/scored-shard.js';
import { buildPart } from './shard-decisions.js';

const versions = { specificVersion: 'v1', learnableVersion: 'v2' };

describe('shard parts', () => {
  it('keeps the large answer that a guarantee run bought while sampling', () => {
    const m = manifest();
    const routing = { threshold: 0.9, sampledLines: new Set([1]) };
    const bought: LlmCallResult = { line: 1, label: 'b', source: 'large', c_l: 0.7, tokens: { input: 40, output: 1 }, cost: 0.00004, cached: false };
    const { part } = buildPart(m, scored, versions, new Map([[1, bought]]), () => undefined, routing);
    expect(part.results[0]).toEqual(expect.objectContaining({ id: 'easy', label: 'b', source: 'large', cost: 0.00004 }));
  });

  it('writes one record per row: small answers, the large answer, and rejects, with their tally', () => {
    const answer: LlmCallResult = { line: 3, label: 'c', source: 'large', c_l: 0.8, tokens: { input: 50, output: 1 }, cost: 0.00005, cached: false };
    const { part, tally } = buildPart(manifest(), scored, versions, new Map([[3, answer]]), () => undefined);
    expect(part.results).toEqual([
      expect.objectContaining({ id: 'easy', label: 'a', source: 'small', c_s1: 0.95, c_s2: 0.5, modelVersion: 'v1', gold: 'a' }),
      expect.objectContaining({ id: 'learnable', label: 'b', source: 'learnable', modelVersion: 'v2' }),
      expect.objectContaining({ id: 'hard', label: 'c', source: 'large', c_l: 0.8, cost: 0.00005, tokens: { input: 50, output: 1 } }),
    ]);
    expect(part.rejects).toEqual([{ line: 5, id: 'bad', reason: 'expected 784 pixel values' }]);
    const state = tally.state();
    expect([state.results, state.rejects, state.asked, state.bySource]).toEqual([3, 1, 1, { small: 1, learnable: 1, large: 1, fallback: 0 }]);
  });

  it('keeps the default result shape, and adds probabilities and carried columns only when asked', () => {
    const plainPart = buildPart(manifest(), scored, versions, new Map(), () => undefined).part;
    expect(Object.keys(plainPart.results[0]!)).toEqual(['id', 'line', 'label', 'source', 'c_s1', 'c_s2', 'c_l', 'tokens', 'cost', 'modelVersion', 'gold']);
    const carried: CompactScoredRow[] = [{ ...scored[0]!, columns: { subject: 'hello', n: 3 } } as CompactScoredRow];
    const { part } = buildPart(manifest({ output: { probabilities: true, include: ['subject', 'n'] } }), carried, versions, new Map(), () => undefined);
    expect(part.results[0]).toMatchObject({ probabilities: { a: 0.95, b: 0.03, c: 0.02 }, columns: { subject: 'hello', n: 3 } });
  });

  it('falls back, flagged llm_error with the reason, when a large-model call left no answer', () => {
    const { part } = buildPart(manifest(), scored, versions, new Map(), (line) => (line === 3 ? 'attempts exhausted: 503' : undefined));
    expect(part.results[2]).toEqual(expect.objectContaining({ label: 'b', source: 'fallback', fallbackReason: 'llm_error', error: 'attempts exhausted: 503', cost: 0 }));
  });
});
