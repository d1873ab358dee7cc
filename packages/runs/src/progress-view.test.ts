import { progressView } from './progress-view.js';
import type { RunProgressState } from './run-progress.js';

const base: RunProgressState = {
  runId: 'r',
  outputPrefix: 'runs/',
  manifestKey: 'manifests/r.json',
  phase: 'running',
  startedAt: 0,
  updatedAt: 0,
  rows: 1000,
  ingestRejects: 10,
  planned: true,
  shards: 4,
  shardsRead: 4,
  scored: 600,
  routed: 500,
  hard: 100,
  answered: 40,
  shardsDone: 1,
  shardsWritten: 0,
};

describe('progressView', () => {
  it('counts rows answered by either model and ingest rejects as finished, and projects the pace', () => {
    const view = progressView(base, 1.25, 30_000);
    expect(view.finished).toBe(500 - 100 + 40 + 10);
    expect(view.total).toBe(1010);
    expect(view.fraction).toBeCloseTo(450 / 1010);
    expect(view.queryShare).toBeCloseTo(0.2);
    expect(view.etaSeconds).toBeCloseTo((30 * (1 - 450 / 1010)) / (450 / 1010));
    expect(view.costUsd).toBe(1.25);
  });

  it('extrapolates the total from the shards read so far', () => {
    expect(progressView({ ...base, planned: false, shardsRead: 2, rows: 500, ingestRejects: 5 }, 0, 5_000).total).toBe(1010);
  });

  it('has no total, fraction or ETA before any shard is read', () => {
    const view = progressView({ ...base, planned: false, shardsRead: 0, rows: 0, ingestRejects: 0, routed: 0, hard: 0, answered: 0 }, 0, 5_000);
    expect(view.total).toBeNull();
    expect(view.fraction).toBeNull();
    expect(view.etaSeconds).toBeNull();
    expect(view.queryShare).toBeNull();
  });

  it('is done with no ETA left when every row is finished, including an empty input', () => {
    expect(progressView({ ...base, routed: 1000, hard: 100, answered: 100 }, 0, 10_000)).toMatchObject({ fraction: 1, etaSeconds: 0 });
    expect(progressView({ ...base, rows: 0, ingestRejects: 0, routed: 0, hard: 0, answered: 0 }, 0, 10_000)).toMatchObject({ total: 0, fraction: 1 });
  });
});
