import { ManifestSchema, type LlmCallResult } from '@datashunt/contracts';
import type { ScoredRow, ShardRow } from '@datashunt/runs';
import { buildPart, decide, zipScored } from './shard-decisions.js';

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

const rows: ShardRow[] = [
  { line: 1, id: 'easy', input: 'x', label: 'a' },
  { line: 2, id: 'learnable', input: 'y', label: 'b' },
  { line: 3, id: 'hard', input: 'z', label: 'c' },
  { line: 5, id: 'bad', input: 'w' },
];
const scored: ScoredRow[] = [
  { line: 1, p1: [0.95, 0.03, 0.02], p2: [0.5, 0.3, 0.2] },
  { line: 2, p1: [0.3, 0.6, 0.1], p2: [0.02, 0.95, 0.03] },
  { line: 3, p1: [0.2, 0.3, 0.5], p2: [0.1, 0.6, 0.3] },
  { line: 5, reject: 'expected 784 pixel values' },
];
const versions = { specificVersion: 'v1', learnableVersion: 'v2' };

describe('shard decisions', () => {
  it('applies Algorithm 2 and falls back to the more confident small model', () => {
    const m = manifest();
    expect(scored.map((s) => decide(m, s)?.source)).toEqual(['small', 'learnable', 'large', undefined]);
    expect(decide(m, scored[2]!)).toEqual({ source: 'large', fallbackIndex: 1 });
  });

  it('honours the small-only and large-only baselines', () => {
    expect(scored.slice(0, 3).map((s) => decide(manifest({ strategy: 'small-only' }), s)?.source)).toEqual(['small', 'small', 'small']);
    expect(scored.slice(0, 3).map((s) => decide(manifest({ strategy: 'large-only' }), s)?.source)).toEqual(['large', 'large', 'large']);
  });

  it('writes one record per row: small answers, the large answer, and rejects', () => {
    const answer: LlmCallResult = { line: 3, label: 'c', source: 'large', c_l: 0.8, tokens: { input: 50, output: 1 }, cost: 0.00005, cached: false };
    const part = buildPart(manifest(), zipScored(rows, scored), versions, new Map([[3, answer]]), () => undefined);
    expect(part).toEqual([
      { result: expect.objectContaining({ id: 'easy', label: 'a', source: 'small', c_s1: 0.95, c_s2: 0.5, modelVersion: 'v1', gold: 'a' }) },
      { result: expect.objectContaining({ id: 'learnable', label: 'b', source: 'learnable', modelVersion: 'v2' }) },
      { result: expect.objectContaining({ id: 'hard', label: 'c', source: 'large', c_l: 0.8, cost: 0.00005, tokens: { input: 50, output: 1 } }) },
      { reject: { line: 5, id: 'bad', reason: 'expected 784 pixel values' } },
    ]);
  });

  it('falls back, flagged llm_error with the reason, when a large-model call left no answer', () => {
    const part = buildPart(manifest(), zipScored(rows, scored), versions, new Map(), (line) => (line === 3 ? 'attempts exhausted: 503' : undefined));
    expect(part[2]).toEqual({ result: expect.objectContaining({ label: 'b', source: 'fallback', fallbackReason: 'llm_error', error: 'attempts exhausted: 503', cost: 0 }) });
  });

  it('refuses scores that do not line up with the shard', () => {
    expect(() => zipScored(rows, scored.slice(1))).toThrow(/4 rows but 3 scores/);
    expect(() => zipScored(rows.slice(0, 1), scored.slice(1, 2))).toThrow(/line 2 found where line 1/);
  });
});
