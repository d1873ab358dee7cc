import type { RunStatus } from '@datashunt/contracts';
import { progressView, type ProgressView, type RunEntry, type RunPhase, type RunProgressState } from '@datashunt/runs';
import { formatShare, formatUsd } from './progress-render.js';
import { table } from './text-table.js';

/** One run as `datashunt runs list` shows it: from its report when it ended, else from its live counters. */
export interface RunSummary {
  runId: string;
  outputPrefix: string;
  manifestKey: string | null;
  /** The report's status, `running` while there is none, `refused` for a manifest that never ran. */
  status: RunStatus | 'refused';
  /** Where a running run is, from its counters (null when Redis has none). */
  phase: RunPhase | null;
  rows: number | null;
  /** Rows finished so far, while running. */
  finished: number | null;
  queryShare: number | null;
  costUsd: number | null;
  /** Overall accuracy against the gold labels, when the input had them. */
  accuracy: number | null;
  startedAt: string | null;
  /** Why a manifest was refused, or why a run failed. */
  message: string | null;
}

export interface LiveRun {
  state: RunProgressState;
  spentUsd: number;
}

export function summarizeRun(entry: RunEntry, live: LiveRun | null, now = Date.now()): RunSummary {
  const base = { runId: entry.runId, outputPrefix: entry.outputPrefix, manifestKey: entry.report?.manifestKey ?? entry.snapshot?.manifestKey ?? entry.error?.manifestKey ?? null };
  if (entry.report) {
    const r = entry.report;
    return {
      ...base,
      status: r.status,
      phase: null,
      rows: r.rows,
      finished: null,
      queryShare: r.queryProportion,
      costUsd: r.costUsd,
      accuracy: r.accuracy?.overall.accuracy ?? null,
      startedAt: r.createdAt,
      message: r.failure,
    };
  }
  if (!entry.snapshot && entry.error) {
    return { ...base, status: 'refused', phase: null, rows: null, finished: null, queryShare: null, costUsd: null, accuracy: null, startedAt: entry.error.at, message: entry.error.message };
  }
  const view: ProgressView | null = live ? progressView(live.state, live.spentUsd, now) : null;
  return {
    ...base,
    status: 'running',
    phase: live?.state.phase ?? null,
    rows: view?.total ?? null,
    finished: view?.finished ?? null,
    queryShare: view?.queryShare ?? null,
    costUsd: live?.spentUsd ?? null,
    accuracy: null,
    startedAt: live ? new Date(live.state.startedAt).toISOString() : (entry.snapshot?.createdAt ?? null),
    message: null,
  };
}

/** Newest first: by start time, runs without one last. */
export function newestFirst(a: RunSummary, b: RunSummary): number {
  return (b.startedAt ?? '').localeCompare(a.startedAt ?? '');
}

const dash = (value: string | null) => value ?? '-';

function statusCell(s: RunSummary): string {
  return s.status === 'running' && s.phase && s.phase !== 'running' ? `running (${s.phase})` : s.status;
}

function rowsCell(s: RunSummary): string {
  if (s.status !== 'running') return dash(s.rows === null ? null : String(s.rows));
  if (s.finished === null) return '-';
  return s.rows === null ? `${s.finished}/?` : `${s.finished}/${s.rows}`;
}

/** The table of `datashunt runs list`. */
export function formatRunList(summaries: RunSummary[]): string {
  if (summaries.length === 0) return 'no runs';
  const rows = summaries.map((s) => [
    s.runId,
    statusCell(s),
    rowsCell(s),
    s.queryShare === null ? '-' : formatShare(s.queryShare),
    s.costUsd === null ? '-' : formatUsd(s.costUsd),
    s.accuracy === null ? '-' : formatShare(s.accuracy),
    s.startedAt === null ? '-' : s.startedAt.replace('T', ' ').slice(0, 19),
  ]);
  return table(['run', 'status', 'rows', 'query share', 'dollars', 'accuracy', 'started'], rows);
}
