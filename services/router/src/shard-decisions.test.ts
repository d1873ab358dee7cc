import { ManifestSchema, type LlmCallResult } from '@datashunt/contracts';
import type { ScoredRow } from '@datashunt/runs';
import { buildPart, decide } from './shard-decisions.js';

const manifest = (over: object = {}) =>
  ManifestSchema.parse({
    task: { type: 'classification', labels: ['a', 'b', 'c'], instruction: 'pick' },
    input: { uri: 'x.jsonl' },
    smallModel: { name: 'm' },
    largeModel: { model: 'l', pricing: { inputPer1M: 1, outputPer1M: 1 }, rateLimitRpm: 60 },
    delta: 0.9,
    budgetUsd: 1,
    ...over,
  });

const scored: ScoredRow[] = [
  { line: 1, id: 'easy', gold: 'a', p1: [0.95, 0.03, 0.02], p2: [0.5, 0.3, 0.2] },
  { line: 2, id: 'learnable', gold: 'b', p1: [0.3, 0.6, 0.1], p2: [0.02, 0.95, 0.03] },
  { line: 3, id: 'hard', gold: 'c', p1: [0.2, 0.3, 0.5], p2: [0.1, 0.6, 0.3] },
  { line: 5, id: 'bad', reject: 'expected 784 pixel values' },
];
const versions = { specificVersion: 'v1', learnableVersion: 'v2' };

describe('shard decisions', () => {
  it('applies Algorithm 2 and falls back to the more confident small model', () => {
    const m = manifest();
    expect(scored.map((s) => decide(m, s)?.source)).toEqual(['small', 'learnable', 'large', undefined]);
    expect(decide(m, scored[2]!)).toEqual({ source: 'large', fallbackIndex: 1 });
  });

  it('routes a guarantee run at its threshold with the more confident small model, and keeps sampled rows large', () => {
    const m = manifest();
    const routing = { threshold: 0.9, sampledLines: new Set([1]) };
    // The confident row 1 was sampled: it keeps its large answer; row 2's learnable model reaches 0.9.
    expect(scored.map((s) => decide(m, s, routing)?.source)).toEqual(['large', 'learnable', 'large', undefined]);
    expect(decide(m, scored[0]!, routing)).toEqual({ source: 'large', fallbackIndex: 0 });
    expect(scored.slice(0, 3).map((s) => decide(m, s, { threshold: null, sampledLines: new Set() })?.source)).toEqual(['large', 'large', 'large']);
    const bought: LlmCallResult = { line: 1, label: 'b', source: 'large', c_l: 0.7, tokens: { input: 40, output: 1 }, cost: 0.00004, cached: false };
    const { part } = buildPart(m, scored, versions, new Map([[1, bought]]), () => undefined, routing);
    expect(part.results[0]).toEqual(expect.objectContaining({ id: 'easy', label: 'b', source: 'large', cost: 0.00004 }));
  });

  it('honours the small-only and large-only baselines', () => {
    expect(scored.slice(0, 3).map((s) => decide(manifest({ strategy: 'small-only' }), s)?.source)).toEqual(['small', 'small', 'small']);
    expect(scored.slice(0, 3).map((s) => decide(manifest({ strategy: 'large-only' }), s)?.source)).toEqual(['large', 'large', 'large']);
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
    const carried: ScoredRow[] = [{ ...scored[0]!, columns: { subject: 'hello', n: 3 } } as ScoredRow];
    const { part } = buildPart(manifest({ output: { probabilities: true, include: ['subject', 'n'] } }), carried, versions, new Map(), () => undefined);
    expect(part.results[0]).toMatchObject({ probabilities: { a: 0.95, b: 0.03, c: 0.02 }, columns: { subject: 'hello', n: 3 } });
  });

  it('falls back, flagged llm_error with the reason, when a large-model call left no answer', () => {
    const { part } = buildPart(manifest(), scored, versions, new Map(), (line) => (line === 3 ? 'attempts exhausted: 503' : undefined));
    expect(part.results[2]).toEqual(expect.objectContaining({ label: 'b', source: 'fallback', fallbackReason: 'llm_error', error: 'attempts exhausted: 503', cost: 0 }));
  });
});
