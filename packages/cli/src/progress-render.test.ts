import type { RunProgressState } from '@datashunt/runs';
import { progressView } from '@datashunt/runs';
import { formatDuration, formatUsd, ProgressPrinter, progressLine, type ProgressStream } from './progress-render';

const running: RunProgressState = {
  runId: 'r',
  outputPrefix: 'runs/',
  manifestKey: 'manifests/r.json',
  phase: 'running',
  startedAt: 0,
  updatedAt: 0,
  rows: 1000,
  ingestRejects: 0,
  planned: true,
  shards: 4,
  scored: 750,
  routed: 500,
  hard: 100,
  answered: 40,
  shardsDone: 1,
  shardsWritten: 0,
};

class Captured implements ProgressStream {
  text = '';
  constructor(readonly isTTY: boolean, readonly columns?: number) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

describe('progressLine', () => {
  it('shows the bar, rows done of the total, each stage, the query share, dollars, elapsed and ETA', () => {
    const line = progressLine(running, progressView(running, 0.01234, 60_000));
    // 440 of 1000 rows finished (400 answered by the small model, 40 by the large one): 44%, 11 of 24 bar cells.
    expect(line).toBe(
      `[${'#'.repeat(11)}${'-'.repeat(13)}]  44% 440/1,000 rows | scored 750, routed 500 | large model 40/100 | query share 20.0% | $0.0123 | running 1m 00s, ETA 1m 16s`,
    );
  });

  it('has no total, percentage or ETA while ingest is still reading the input', () => {
    const planning = { ...running, phase: 'planning' as const, planned: false, rows: 3200, scored: 0, routed: 0, hard: 0, answered: 0 };
    const line = progressLine(planning, progressView(planning, 0, 5_000));
    expect(line).toBe(`[${'?'.repeat(24)}]   ?% 0 rows done, 3,200 read so far | scored 0, routed 0 | large model 0/0 | query share - | $0.0000 | planning 5s`);
  });

  it('fills the bar when every row is finished', () => {
    const done = { ...running, phase: 'succeeded' as const, scored: 1000, routed: 1000, answered: 100 };
    expect(progressLine(done, progressView(done, 2.5, 10_000))).toMatch(/^\[#{24}\] 100% 1,000\/1,000 rows .* \| \$2\.50 \| succeeded 10s, ETA 0s$/);
  });
});

describe('formatting', () => {
  it('writes durations and dollars as a person reads them', () => {
    expect([formatDuration(0), formatDuration(42.4), formatDuration(185), formatDuration(4000)]).toEqual(['0s', '42s', '3m 05s', '1h 06m']);
    expect([formatUsd(0), formatUsd(0.000123), formatUsd(12.345)]).toEqual(['$0.0000', '$0.0001', '$12.35']);
  });
});

describe('ProgressPrinter', () => {
  it('redraws one line in place on a terminal, cut to its width, and ends it with a newline', () => {
    const tty = new Captured(true, 20);
    const printer = new ProgressPrinter(tty);
    printer.update('first');
    printer.update('a line longer than the terminal');
    printer.finish();
    expect(tty.text).toBe('\rfirst\x1b[K\ra line longer than…\x1b[K\n');
  });

  it('prints a line at most every interval elsewhere, and the last line at the end', () => {
    const log = new Captured(false);
    let now = 0;
    const printer = new ProgressPrinter(log, 5_000, () => now);
    printer.update('10%');
    now = 1_000;
    printer.update('20%');
    now = 5_000;
    printer.update('60%');
    now = 6_000;
    printer.update('60%');
    printer.update('90%');
    printer.finish();
    expect(log.text).toBe('10%\n60%\n90%\n');
  });

  it('prints nothing more at the end when the last line was printed', () => {
    const log = new Captured(false);
    const printer = new ProgressPrinter(log, 5_000, () => 0);
    printer.update('100%');
    printer.finish();
    expect(log.text).toBe('100%\n');
  });
});
