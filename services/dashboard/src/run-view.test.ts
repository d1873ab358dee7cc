import { byNewest, runView } from './run-view.js';
import { entry, progress, report, snapshot } from './testing/run-fixtures.js';

const NOW = Date.parse('2025-01-02T10:01:00.000Z');

describe('runView', () => {
  it('takes a finished run from its report and does not call it live', () => {
    const view = runView({ runId: 'tickets-1a2b3c4d', entry: entry(), progress: null, spend: null }, NOW);
    expect(view).toMatchObject({
      name: 'tickets',
      state: 'succeeded',
      live: false,
      rows: 1002,
      queryShare: 0.2,
      costUsd: 0.01234,
      possiblyPaidUsd: 0.0005,
      budgetUsd: 2,
      accuracy: 0.95,
      delta: 0.97,
      elapsedSeconds: 65,
      bar: { finished: 1002, total: 1002, fraction: 1, etaSeconds: null },
    });
    expect(view.deltaSource).toMatchObject({ kind: 'calibration', modelVersion: 'v3' });
  });

  it('takes a running run from its live counters and its spend so far', () => {
    const spend = { sent: 41, paidCalls: 40, spentUsd: 0.004, possiblyPaidCalls: 0, possiblyPaidUsd: 0 };
    const view = runView({ runId: 'tickets-1a2b3c4d', entry: entry({ report: undefined }), progress: progress(), spend }, NOW);
    expect(view).toMatchObject({ state: 'running', live: true, rows: 1002, queryShare: 0.2, costUsd: 0.004, budgetUsd: 2, accuracy: null, delta: 0.97, reason: null });
    expect(view.bar!.finished).toBe(500 - 100 + 40 + 2);
    expect(view.bar!.fraction).toBeCloseTo(442 / 1002);
    expect(view.bar!.etaSeconds).toBeGreaterThan(0);
  });

  it('says why a run failed and why a manifest was refused', () => {
    const failed = runView({ runId: 'r', entry: entry({ report: report({ status: 'failed', failure: 'the endpoint refused the key' }) }), progress: null, spend: null }, NOW);
    expect(failed).toMatchObject({ state: 'failed', live: false, reason: 'the endpoint refused the key' });
    const error = { manifestKey: 'manifests/x.json', at: '2025-01-02T09:00:00.000Z', message: 'task.labels: unknown', issues: [{ path: 'task.labels', message: 'unknown' }] };
    const refused = runView({ runId: 'x-12345678', entry: { runId: 'x-12345678', outputPrefix: 'runs/', error }, progress: null, spend: null }, NOW);
    expect(refused).toMatchObject({ name: 'x-12345678', state: 'refused', live: false, reason: 'task.labels: unknown', bar: null, startedAt: error.at });
  });

  it('shows a run ingest has started but not yet snapshotted, from its counters alone', () => {
    const view = runView({ runId: 'new-run', entry: undefined, progress: progress({ phase: 'planning', planned: false, routed: 0, hard: 0, answered: 0 }), spend: null }, NOW);
    expect(view).toMatchObject({ state: 'planning', live: true, rows: null, costUsd: null, deltaSource: null, bar: { total: null, fraction: null } });
  });

  it('says a delta from the manifest when an older snapshot has no deltaSource', () => {
    const view = runView({ runId: 'r', entry: entry({ report: undefined, snapshot: snapshot({ deltaSource: undefined }) }), progress: null, spend: null }, NOW);
    expect(view.deltaSource).toEqual({ kind: 'manifest' });
    expect(view.bar).toBeNull();
  });

  it('orders runs newest first, runs with no known start last', () => {
    const at = (runId: string, createdAt?: string) => runView({ runId, entry: createdAt ? entry({ runId, report: report({ createdAt }) }) : undefined, progress: createdAt ? null : progress({ startedAt: Number.NaN }), spend: null }, NOW);
    const runs = [at('old', '2025-01-01T00:00:00Z'), at('unknown'), at('new', '2025-02-01T00:00:00Z')];
    expect(runs.sort(byNewest).map((r) => r.runId)).toEqual(['new', 'old', 'unknown']);
  });
});
