import type { ProgressView, RunProgressState } from '@datashunt/runs';

const BAR_WIDTH = 24;

/** 42 -> "42s", 185 -> "3m 05s", 4000 -> "1h 06m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Dollars with the precision small spends need: $0.0123, $12.35. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

export function formatShare(share: number | null): string {
  return share === null ? '-' : `${(share * 100).toFixed(1)}%`;
}

const count = (n: number) => n.toLocaleString('en-US');

function bar(fraction: number | null, width: number): string {
  if (fraction === null) return `[${'?'.repeat(width)}]`;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * One line of a run's live progress: the bar, rows finished of the total, rows scored and routed,
 * large-model answers of the rows sent to it, the query share so far, dollars so far, elapsed and ETA.
 */
export function progressLine(state: RunProgressState, view: ProgressView): string {
  const done = view.total === null ? `${count(view.finished)} rows done, ${count(state.rows)} read so far` : `${count(view.finished)}/${count(view.total)} rows`;
  const percent = view.fraction === null ? '  ?%' : `${Math.floor(view.fraction * 100)}%`.padStart(4);
  const eta = view.etaSeconds === null ? '' : `, ETA ${formatDuration(view.etaSeconds)}`;
  return [
    `${bar(view.fraction, BAR_WIDTH)} ${percent} ${done}`,
    `scored ${count(state.scored)}, routed ${count(state.routed)}`,
    `large model ${count(state.answered)}/${count(state.hard)}`,
    `query share ${formatShare(view.queryShare)}`,
    formatUsd(view.costUsd),
    `${state.phase} ${formatDuration(view.elapsedSeconds)}${eta}`,
  ].join(' | ');
}

/** Where progress goes: a terminal (redrawn in place) or a pipe or file (a line now and then). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Shows progress lines: on a terminal it redraws one line; elsewhere (a log, a pipe) it prints a line
 * when the progress changed and at most every `everyMs`, and always the last one.
 */
export class ProgressPrinter {
  private lastPrinted: string | undefined;
  private lastAt = -Infinity;
  private pending: string | undefined;
  private drawn = false;

  constructor(
    private readonly out: ProgressStream,
    private readonly everyMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  update(line: string): void {
    if (this.out.isTTY) {
      const width = this.out.columns ?? 0;
      this.out.write(`\r${width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line}\x1b[K`);
      this.drawn = true;
      return;
    }
    this.pending = line;
    if (line === this.lastPrinted || this.now() - this.lastAt < this.everyMs) return;
    this.print(line);
  }

  /** Ends the progress display: a terminal's line is kept, a log gets the last line if it was held back. */
  finish(): void {
    if (this.out.isTTY) {
      if (this.drawn) this.out.write('\n');
      this.drawn = false;
      return;
    }
    if (this.pending !== undefined && this.pending !== this.lastPrinted) this.print(this.pending);
  }

  private print(line: string): void {
    this.out.write(`${line}\n`);
    this.lastPrinted = line;
    this.lastAt = this.now();
    this.pending = undefined;
  }
}
