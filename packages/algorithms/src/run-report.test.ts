import { ManifestSchema, type ResultRecord, type RunManifest } from '@datashunt/contracts';
import { RunReportTally } from './run-report.js';

const manifest = ManifestSchema.parse({
  task: { type: 'classification', labels: ['neg', 'pos'], instruction: 'sentiment' },
  input: { uri: 'x.jsonl' },
  smallModel: { name: 'm' },
  largeModel: { model: 'gpt', pricing: { inputPer1M: 1, outputPer1M: 2 }, rateLimitRpm: 60 },
  delta: 0.9,
  budgetUsd: 1,
}) as RunManifest;

function result(over: Partial<ResultRecord>): ResultRecord {
  return { id: 1, line: 1, label: 'pos', source: 'small', c_s1: 0.99, c_s2: null, c_l: null, tokens: { input: 0, output: 0 }, cost: 0, modelVersion: 'v1', ...over };
}

describe('RunReportTally', () => {
  it('counts sources, query share, spend and accuracy by class and source', () => {
    const t = new RunReportTally();
    t.addResult(result({ gold: 'pos' }));
    t.addResult(result({ label: 'neg', gold: 'pos' }));
    t.addResult(result({ source: 'large', label: 'neg', gold: 'neg', c_l: 0.9, tokens: { input: 100, output: 1 }, cost: 0.000102 }));
    t.addResult(result({ source: 'large', label: 'neg', gold: 'neg', cached: true, tokens: { input: 100, output: 1 } }));
    t.addResult(result({ source: 'fallback', fallbackReason: 'over_budget', gold: 'neg' }));
    t.addResult(result({ source: 'fallback', fallbackReason: 'unresolved', tokens: { input: 200, output: 4 }, cost: 0.000208 }));
    t.addRejects();
    const r = t.build({ runId: 'r', manifestKey: 'manifests/r.json', manifest, createdAt: '2026-01-01T00:00:00.000Z', finishedAt: new Date('2026-01-01T00:00:02.500Z') });
    expect(r.rows).toBe(7);
    expect(r.results).toBe(6);
    expect(r.rejects).toBe(1);
    expect(r.bySource).toEqual({ small: 2, learnable: 0, large: 2, fallback: 2 });
    expect(r.fallbackReasons).toEqual({ over_budget: 1, unresolved: 1 });
    expect(r.queryProportion).toBeCloseTo(3 / 6);
    expect(r.largeModelCalls).toEqual({ paid: 2, cached: 1 });
    expect(r.tokens).toEqual({ input: 400, output: 6 });
    expect(r.costUsd).toBeCloseTo(0.00031, 8);
    expect(r.accuracy!.overall).toEqual({ correct: 3, total: 5, accuracy: 0.6 });
    expect(r.accuracy!.perClass).toEqual({ neg: { correct: 2, total: 3, accuracy: 2 / 3 }, pos: { correct: 1, total: 2, accuracy: 0.5 } });
    expect(r.accuracy!.bySource.fallback).toEqual({ correct: 0, total: 1, accuracy: 0 });
    expect(r.wallSeconds).toBe(2.5);
  });

  it('gives the same report from shard states merged as from the results added one by one', () => {
    const rows = [
      result({ gold: 'pos' }),
      result({ source: 'large', label: 'neg', gold: 'pos', tokens: { input: 10, output: 1 }, cost: 0.5 }),
      result({ source: 'learnable', modelVersion: 'v2', gold: 'neg', label: 'neg' }),
      result({ source: 'fallback', fallbackReason: 'over_budget' }),
    ];
    const whole = new RunReportTally();
    rows.forEach((r) => whole.addResult(r));
    whole.addRejects(2);
    const merged = new RunReportTally();
    for (const part of [rows.slice(0, 1), rows.slice(1)]) {
      const shard = new RunReportTally();
      part.forEach((r) => shard.addResult(r));
      shard.addRejects(1);
      merged.merge(JSON.parse(JSON.stringify(shard.state())));
    }
    const args = { runId: 'r', manifestKey: 'k', manifest, createdAt: '2026-01-01T00:00:00.000Z', finishedAt: new Date('2026-01-01T00:00:01.000Z') };
    expect(merged.build(args)).toEqual(whole.build(args));
    expect(merged.build(args).modelVersions).toEqual({ specific: 'v1', learnable: 'v2' });
  });

  it('has no accuracy section without gold labels', () => {
    const t = new RunReportTally();
    t.addResult(result({}));
    expect(t.build({ runId: 'r', manifestKey: 'k', manifest, createdAt: new Date().toISOString(), finishedAt: new Date() }).accuracy).toBeNull();
  });

  it('reports batch rows at the batch price and the dollars saved against the sync price, through merged shard states too', () => {
    const shard = new RunReportTally();
    shard.addResult(result({ source: 'large', batch: true, tokens: { input: 1_000, output: 2 }, cost: 0.000502 }));
    shard.addResult(result({ source: 'fallback', fallbackReason: 'unresolved', batch: true, tokens: { input: 1_000, output: 2 }, cost: 0.000502 }));
    shard.addResult(result({ source: 'large', cached: true, tokens: { input: 1_000, output: 2 } }));
    const merged = new RunReportTally();
    merged.merge(shard.state());
    const r = merged.build({ runId: 'r', manifestKey: 'm', manifest, createdAt: '2026-01-01T00:00:00.000Z', finishedAt: new Date('2026-01-01T00:00:01.000Z') });
    // Sync price: 1 per 1M input, 2 per 1M output: 2 rows x (1000 + 4) micro-dollars.
    expect(r.batch).toEqual({ rows: 2, tokens: { input: 2_000, output: 4 }, costUsd: 0.001004, syncCostUsd: 0.002008, savedUsd: 0.001004 });
    const none = new RunReportTally();
    none.addResult(result({ source: 'large', tokens: { input: 10, output: 1 }, cost: 0.000012 }));
    expect(none.build({ runId: 'r', manifestKey: 'm', manifest, createdAt: '2026-01-01T00:00:00.000Z', finishedAt: new Date('2026-01-01T00:00:01.000Z') }).batch).toBeNull();
  });
});
