import { decide, largeCandidate, type ScoredTops } from './shard-routing.js';
import { manifest, scored } from './testing/scored-shard.js';

describe('shard routing', () => {
  it('applies Algorithm 2 and falls back to the more confident small model', () => {
    const m = manifest();
    expect(scored.map((s) => 'reject' in s ? undefined : decide(m, s).source)).toEqual(['small', 'learnable', 'large', undefined]);
    expect(decide(m, scored[2] as ScoredTops)).toEqual({ source: 'large', fallbackIndex: 1 });
  });

  it('honours the small-only and large-only baselines', () => {
    expect((scored.slice(0, 3) as ScoredTops[]).map((s) => decide(manifest({ strategy: 'small-only' }), s).source)).toEqual(['small', 'small', 'small']);
    expect((scored.slice(0, 3) as ScoredTops[]).map((s) => decide(manifest({ strategy: 'large-only' }), s).source)).toEqual(['large', 'large', 'large']);
  });

  it('routes a guarantee run at its threshold with the more confident small model, and keeps sampled rows large', () => {
    const m = manifest();
    const routing = { threshold: 0.9, sampledLines: new Set([1]) };
    // The confident row 1 was sampled: it keeps its large answer; row 2's learnable model reaches 0.9.
    expect(scored.map((s) => 'reject' in s ? undefined : decide(m, s, routing).source)).toEqual(['large', 'learnable', 'large', undefined]);
    expect(decide(m, scored[0] as ScoredTops, routing)).toEqual({ source: 'large', fallbackIndex: 0 });
    expect((scored.slice(0, 3) as ScoredTops[]).map((s) => decide(m, s, { threshold: null, sampledLines: new Set() }).source)).toEqual(['large', 'large', 'large']);
  });

  it('names as large-model candidates the rows the shunt sends there, and every row of a guarantee run', () => {
    const m = manifest();
    const rows = scored.slice(0, 3) as ScoredTops[];
    expect(rows.map((s) => largeCandidate(m, s, false))).toEqual([undefined, undefined, { source: 'large', fallbackIndex: 1 }]);
    expect(rows.map((s) => largeCandidate(m, s, true))).toEqual([{ fallbackIndex: 0 }, { fallbackIndex: 1 }, { fallbackIndex: 1 }]);
  });
});
