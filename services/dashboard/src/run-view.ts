import type { DeltaSource, ManifestError, Report } from '@datashunt/contracts';
import type { RunSpend } from '@datashunt/llm';
import { progressView, type RunEntry, type RunPhase, type RunProgressState } from '@datashunt/runs';

/** A run's state as the pages show it: the live phase, the report's status, or a manifest refused before it ran. */
export type RunState = RunPhase | 'refused';

const LIVE_STATES: ReadonlySet<RunState> = new Set(['planning', 'running', 'finalizing']);

/** The progress bar: rows whose outcome is known out of the run's rows. */
export interface RunBar {
  finished: number;
  /** Null while ingest is still reading the input. */
  total: number | null;
  fraction: number | null;
  etaSeconds: number | null;
}

/** Everything the pages show of one run, from its report when it has one, else from its live counters. */
export interface RunView {
  runId: string;
  name: string;
  state: RunState;
  /** Still going: its page refreshes itself. */
  live: boolean;
  manifestKey: string | null;
  startedAt: string | number | null;
  finishedAt: string | null;
  elapsedSeconds: number | null;
  rows: number | null;
  queryShare: number | null;
  costUsd: number | null;
  /** Requests that may have been billed without an answer (timeouts, cut-off streams). */
  possiblyPaidUsd: number | null;
  budgetUsd: number | null;
  /** Overall accuracy against the input's gold labels; null without labels. */
  accuracy: number | null;
  delta: number | null;
  deltaSource: DeltaSource | null;
  smallModel: string | null;
  /** Why it failed, or why its manifest was refused. */
  reason: string | null;
  bar: RunBar | null;
  counters: RunProgressState | null;
  report: Report | null;
  error: ManifestError | null;
}

/** What is known of a run: its S3 folder (if any yet), its live counters and its spend so far (while it runs). */
export interface RunFacts {
  runId: string;
  entry: RunEntry | undefined;
  progress: RunProgressState | null;
  spend: RunSpend | null;
}

export function runView({ runId, entry, progress, spend }: RunFacts, now = Date.now()): RunView {
  const report = entry?.report ?? null;
  const snapshot = entry?.snapshot;
  const error = entry?.error ?? null;
  const state: RunState = report ? report.status : error && !snapshot ? 'refused' : (progress?.phase ?? 'running');
  const live = report === null && LIVE_STATES.has(state);
  const pace = !report && progress ? progressView(progress, spend?.spentUsd ?? 0, now) : null;
  return {
    runId,
    name: snapshot?.manifest.name ?? runId,
    state,
    live,
    manifestKey: report?.manifestKey ?? snapshot?.manifestKey ?? progress?.manifestKey ?? error?.manifestKey ?? null,
    startedAt: report?.createdAt ?? snapshot?.createdAt ?? progress?.startedAt ?? error?.at ?? null,
    finishedAt: report?.finishedAt ?? null,
    elapsedSeconds: report?.wallSeconds ?? pace?.elapsedSeconds ?? null,
    rows: report?.rows ?? pace?.total ?? null,
    queryShare: report?.queryProportion ?? pace?.queryShare ?? null,
    costUsd: report?.costUsd ?? spend?.spentUsd ?? null,
    possiblyPaidUsd: report ? (report.requests?.possiblyPaidUsd ?? null) : (spend?.possiblyPaidUsd ?? null),
    budgetUsd: report?.budgetUsd ?? snapshot?.manifest.budgetUsd ?? null,
    accuracy: report?.accuracy?.overall.accuracy ?? null,
    delta: report?.delta ?? snapshot?.manifest.delta ?? null,
    deltaSource: report?.deltaSource ?? snapshot?.deltaSource ?? (snapshot ? { kind: 'manifest' } : null),
    smallModel: snapshot?.manifest.smallModel.name ?? null,
    reason: report?.failure ?? error?.message ?? null,
    bar: report ? reportBar(report) : pace ? { finished: pace.finished, total: pace.total, fraction: pace.fraction, etaSeconds: pace.etaSeconds } : null,
    counters: progress,
    report,
    error,
  };
}

function reportBar(report: Report): RunBar {
  const finished = report.results + report.rejects;
  return { finished, total: report.rows, fraction: report.rows === 0 ? 1 : finished / report.rows, etaSeconds: null };
}

/** Newest first; runs with no known start go last. */
export function byNewest(a: RunView, b: RunView): number {
  return startMs(b) - startMs(a) || a.runId.localeCompare(b.runId);
}

function startMs(view: RunView): number {
  const ms = view.startedAt === null ? Number.NaN : new Date(view.startedAt).getTime();
  return Number.isNaN(ms) ? -Infinity : ms;
}
