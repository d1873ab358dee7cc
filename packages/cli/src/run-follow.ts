import type { Command } from 'commander';
import { runKeys, type Report } from '@datashunt/contracts';
import type { Runtime } from '@datashunt/runtime';
import { EXIT, exitCodeOfStatus } from './command-errors.js';
import { positiveNumber } from './option-values.js';
import { printJson } from './cli-runtime.js';
import { ProgressPrinter, progressLine } from './progress-render.js';
import { formatReport } from './report-format.js';
import { watchRun, type WatchOutcome, type WatchTarget } from './run-watch.js';

export interface FollowOptions {
  json?: boolean;
  /** Live progress on stderr (off with --no-progress). */
  progress: boolean;
  /** Unset: no limit. */
  timeoutMinutes?: number;
}

/** The options of commands that follow a run to its end (also submit --wait). */
export function withFollowOptions(command: Command): Command {
  return command
    .option('--json', 'print one JSON document on stdout when the run ends (progress stays on stderr)')
    .option('--no-progress', 'no live progress on stderr')
    .option('--timeout-minutes <n>', 'give up waiting after this long (exit 1; the run goes on)', positiveNumber);
}

/** The one JSON document submit, runs watch and runs resume print with --json. */
export interface RunOutcomeDocument {
  runId: string;
  /** The run's end; `submitted` from submit without --wait. */
  status: Report['status'] | 'refused' | 'not-planned' | 'timeout' | 'submitted';
  report: Report | null;
  message: string | null;
  /** True when submit found that this manifest version had already run (or been refused). */
  alreadyRan?: boolean;
}

/** Shows a run's live progress until it ends, then its report; the exit code follows its status. */
export async function followRun(runtime: Runtime, target: WatchTarget, o: FollowOptions): Promise<number> {
  const printer = o.progress ? new ProgressPrinter(process.stderr) : undefined;
  const timeoutMs = o.timeoutMinutes === undefined ? Number.POSITIVE_INFINITY : o.timeoutMinutes * 60_000;
  let outcome: WatchOutcome;
  try {
    outcome = await watchRun(runtime, target, { timeoutMs, ...(printer ? { onProgress: (state, view) => printer.update(progressLine(state, view)) } : {}) });
  } finally {
    printer?.finish();
  }
  switch (outcome.kind) {
    case 'finished':
      return printReport(runtime, outcome.report, outcome.outputPrefix, o.json);
    case 'refused':
      return printFailure(o.json, { runId: target.runId, status: 'refused', report: null, message: outcome.message }, `manifest refused: ${outcome.message}${outcome.errorKey ? ` (see s3://${runtime.bucket}/${outcome.errorKey})` : ''}`);
    case 'not-planned':
      return printFailure(o.json, { runId: target.runId, status: 'not-planned', report: null, message: outcome.reason }, `run ${target.runId} could not be planned: ${outcome.reason}`);
    case 'timeout': {
      const message = `run ${target.runId} did not end within ${o.timeoutMinutes} minutes; it goes on (datashunt runs watch ${target.runId})`;
      return printFailure(o.json, { runId: target.runId, status: 'timeout', report: null, message }, message);
    }
  }
}

/** A run's report, and where its results are; the exit code follows its status. */
export function printReport(runtime: Runtime, report: Report, outputPrefix: string, json: boolean | undefined, extra: Partial<RunOutcomeDocument> = {}): number {
  if (json) printJson({ runId: report.runId, status: report.status, report, message: report.failure, ...extra } satisfies RunOutcomeDocument);
  else {
    console.log(formatReport(report));
    const keys = runKeys(outputPrefix, report.runId);
    console.log(`results: s3://${runtime.bucket}/${keys.results}   rejects: s3://${runtime.bucket}/${keys.rejects}`);
  }
  return exitCodeOfStatus(report.status);
}

export function printFailure(json: boolean | undefined, document: RunOutcomeDocument, line: string): number {
  if (json) printJson(document);
  else console.error(line);
  return EXIT.failed;
}
