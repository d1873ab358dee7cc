import { ReportSchema } from '@datashunt/contracts';
import type { RunEntry, RunProgressState, RunSnapshot } from '@datashunt/runs';
import { formatRunList, newestFirst, summarizeRun } from './run-summary';

const report = ReportSchema.parse({
  runId: 'spam-1a2b3c4d',
  status: 'succeeded-with-warnings',
  warnings: ['3 rows fell back'],
  manifestKey: 'manifests/spam.json',
  createdAt: '2026-11-29T09:00:00.000Z',
  finishedAt: '2026-11-29T09:01:00.000Z',
  delta: 0.98,
  promptMode: 'soft',
  largeModel: 'reference-generalist',
  modelVersions: { specific: 'v1', learnable: null },
  rows: 1000,
  results: 1000,
  rejects: 0,
  bySource: { small: 880, learnable: 0, large: 117, fallback: 3 },
  fallbackReasons: { llm_error: 3 },
  queryProportion: 0.12,
  largeModelCalls: { paid: 120, cached: 0 },
  tokens: { input: 12000, output: 120 },
  costUsd: 0.0019,
  budgetUsd: 1,
  accuracy: { overall: { correct: 985, total: 1000, accuracy: 0.985 }, perClass: {}, bySource: {} },
  wallSeconds: 60,
});

const snapshot = { runId: 'live-0000aaaa', manifestKey: 'manifests/live.json', createdAt: '2026-11-29T10:00:00.000Z' } as RunSnapshot;
const state: RunProgressState = {
  runId: 'live-0000aaaa',
  outputPrefix: 'runs/',
  manifestKey: 'manifests/live.json',
  phase: 'running',
  startedAt: Date.parse('2026-11-29T10:00:01.000Z'),
  updatedAt: 0,
  rows: 400,
  ingestRejects: 0,
  planned: true,
  shards: 2,
  scored: 400,
  routed: 200,
  hard: 50,
  answered: 10,
  shardsDone: 0,
  shardsWritten: 0,
};

describe('summarizeRun', () => {
  it('takes a finished run from its report', () => {
    expect(summarizeRun({ runId: report.runId, outputPrefix: 'runs/', report }, null)).toEqual({
      runId: 'spam-1a2b3c4d',
      outputPrefix: 'runs/',
      manifestKey: 'manifests/spam.json',
      status: 'succeeded-with-warnings',
      phase: null,
      rows: 1000,
      finished: null,
      queryShare: 0.12,
      costUsd: 0.0019,
      accuracy: 0.985,
      startedAt: '2026-11-29T09:00:00.000Z',
      message: null,
    });
  });

  it('takes a running run from its live counters and spend', () => {
    const entry: RunEntry = { runId: 'live-0000aaaa', outputPrefix: 'runs/', snapshot };
    expect(summarizeRun(entry, { state, spentUsd: 0.5 })).toMatchObject({
      status: 'running',
      phase: 'running',
      rows: 400,
      finished: 200 - 50 + 10,
      queryShare: 0.25,
      costUsd: 0.5,
      accuracy: null,
      startedAt: '2026-11-29T10:00:01.000Z',
    });
    expect(summarizeRun(entry, null)).toMatchObject({ status: 'running', phase: null, rows: null, startedAt: '2026-11-29T10:00:00.000Z' });
  });

  it('lists a refused manifest with why', () => {
    const entry: RunEntry = { runId: 'bad-12345678', outputPrefix: 'runs/', error: { manifestKey: 'manifests/bad.json', at: '2026-11-29T11:00:00.000Z', message: 'invalid manifest: delta: required', issues: [] } };
    expect(summarizeRun(entry, null)).toMatchObject({ status: 'refused', manifestKey: 'manifests/bad.json', startedAt: '2026-11-29T11:00:00.000Z', message: 'invalid manifest: delta: required' });
  });
});

describe('formatRunList', () => {
  it('is a table, newest first, with the share, dollars and accuracy of each run', () => {
    const rows = [
      summarizeRun({ runId: report.runId, outputPrefix: 'runs/', report }, null),
      summarizeRun({ runId: 'live-0000aaaa', outputPrefix: 'runs/', snapshot }, { state: { ...state, phase: 'finalizing' }, spentUsd: 0.5 }),
    ].sort(newestFirst);
    expect(formatRunList(rows).split('\n')).toEqual([
      'run            status                   rows     query share  dollars  accuracy  started',
      'live-0000aaaa  running (finalizing)     160/400  25.0%        $0.5000  -         2026-11-29 10:00:01',
      'spam-1a2b3c4d  succeeded-with-warnings  1000     12.0%        $0.0019  98.5%     2026-11-29 09:00:00',
    ]);
    expect(formatRunList([])).toBe('no runs');
  });
});
