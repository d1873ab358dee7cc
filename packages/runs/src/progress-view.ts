import type { RunProgressState } from './run-progress.js';

/** What a person watching a run wants to know, derived from its counters and its spend. */
export interface ProgressView {
  /** Rows whose outcome is known: answered by a small model, by the large model (or its fallback), or rejected at ingest. */
  finished: number;
  /** Rows in the run: exact once every shard is read, until then extrapolated from the shards read; null before any. */
  total: number | null;
  /** finished / total, 0..1; null while the total is unknown. */
  fraction: number | null;
  /** Share of routed rows sent to the large model so far. */
  queryShare: number | null;
  /** Seconds left at the pace so far; null until there is a pace and a total. */
  etaSeconds: number | null;
  elapsedSeconds: number;
  costUsd: number;
}

export function progressView(p: RunProgressState, spentUsd: number, now = Date.now()): ProgressView {
  const finished = p.routed - p.hard + p.answered + p.ingestRejects;
  const read = p.rows + p.ingestRejects;
  const total = p.planned ? read : p.shards && p.shardsRead ? Math.max(finished, Math.round((read / p.shardsRead) * p.shards)) : null;
  const fraction = total === null ? null : total === 0 ? 1 : Math.min(1, finished / total);
  const elapsedSeconds = Math.max(0, (now - p.startedAt) / 1000);
  const etaSeconds = fraction !== null && fraction > 0 && fraction < 1 ? (elapsedSeconds * (1 - fraction)) / fraction : fraction === 1 ? 0 : null;
  return {
    finished,
    total,
    fraction,
    queryShare: p.routed > 0 ? p.hard / p.routed : null,
    etaSeconds,
    elapsedSeconds,
    costUsd: spentUsd,
  };
}
