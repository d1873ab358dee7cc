import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { runKeys } from '@datashunt/contracts';
import { BudgetMeter } from '@datashunt/llm';
import { progressView, RunCatalog, RunProgress } from '@datashunt/runs';
import { ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { action, EXIT } from '../command-errors.js';
import { printJson, withRuntime } from '../cli-runtime.js';
import { positiveInteger } from '../option-values.js';
import { progressLine } from '../progress-render.js';
import { formatReport } from '../report-format.js';
import { cancelRun, findRun, resumeRun } from '../run-actions.js';
import { followRun, printFailure, printReport, withFollowOptions, type FollowOptions } from '../run-follow.js';
import { formatRunList, newestFirst, summarizeRun, type LiveRun, type RunSummary } from '../run-summary.js';
import { spentSoFar } from '../run-watch.js';

interface JsonOption {
  json?: boolean;
}

/** `datashunt runs list|show|watch|cancel|resume`: runs as runs, from S3 (the truth) and Redis's live counters. */
export function addRunsCommands(program: Command): void {
  const runs = program.command('runs').description('list, show, watch, cancel and resume runs');
  runs
    .command('list')
    .description('runs newest first: status, rows, query share, dollars, accuracy (with gold labels), start; refused manifests too')
    .option('--limit <n>', 'show at most this many runs', positiveInteger, 50)
    .option('--json', 'one JSON array on stdout')
    .action(action((o: JsonOption & { limit: number }) => withRuntime((runtime) => list(runtime, o))));
  runs
    .command('show')
    .description("a run's report, or its live progress while it runs, or why its manifest was refused")
    .argument('<run>', 'run id (datashunt runs list)')
    .option('--json', 'one JSON document on stdout')
    .action(action((runId: string, o: JsonOption) => withRuntime((runtime) => show(runtime, runId, o))));
  withFollowOptions(
    runs
      .command('watch')
      .description("live progress until the run ends, then its report; exits 0 when it succeeded, 1 when it failed or was cancelled")
      .argument('<run>', 'run id'),
  ).action(action((runId: string, o: FollowOptions) => withRuntime((runtime) => watch(runtime, runId, o))));
  runs
    .command('cancel')
    .description('stop asking the large model for the run (its rows fall back, flagged cancelled), finalize what is done; the report says cancelled')
    .argument('<run>', 'run id')
    .action(action((runId: string) => withRuntime((runtime) => cancel(runtime, runId))));
  withFollowOptions(
    runs
      .command('resume')
      .description('finish a failed run: finished shards are kept, answers already paid for are not paid again; then watch it')
      .argument('<run>', 'run id')
      .option('--no-wait', 'return once the resume is queued'),
  ).action(action((runId: string, o: FollowOptions & { wait: boolean }) => withRuntime((runtime) => resume(runtime, runId, o))));
}

async function liveRun(runtime: Runtime, runId: string): Promise<LiveRun | null> {
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const state = await new RunProgress(runtime.redis, prefix).read(runId);
  return state ? { state, spentUsd: await spentSoFar(new BudgetMeter(runtime.redis, prefix), runId) } : null;
}

async function list(runtime: Runtime, o: JsonOption & { limit: number }): Promise<number> {
  const summaries: RunSummary[] = [];
  for await (const entry of new RunCatalog(runtime.s3, runtime.bucket, runtime.config.OUTPUT_PREFIXES).list()) {
    summaries.push(summarizeRun(entry, entry.report || !entry.snapshot ? null : await liveRun(runtime, entry.runId)));
  }
  const shown = summaries.sort(newestFirst).slice(0, o.limit);
  if (o.json) printJson(shown);
  else console.log(formatRunList(shown));
  return EXIT.ok;
}

async function show(runtime: Runtime, runId: string, o: JsonOption): Promise<number> {
  const entry = await findRun(runtime, runId);
  const live = entry.report || !entry.snapshot ? null : await liveRun(runtime, runId);
  const view = live ? progressView(live.state, live.spentUsd) : null;
  if (o.json) {
    printJson({ ...summarizeRun(entry, live), report: entry.report ?? null, progress: live ? { ...live.state, ...view } : null, error: entry.error ?? null });
    return EXIT.ok;
  }
  if (entry.report) {
    console.log(formatReport(entry.report));
    const keys = runKeys(entry.outputPrefix, runId);
    console.log(`results: s3://${runtime.bucket}/${keys.results}   rejects: s3://${runtime.bucket}/${keys.rejects}`);
  } else if (!entry.snapshot && entry.error) {
    console.log([`manifest ${entry.error.manifestKey} was refused (${entry.error.at}): ${entry.error.message}`, ...entry.error.issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'));
  } else {
    console.log(`run ${runId}  (${entry.snapshot?.manifestKey})  RUNNING, started ${entry.snapshot?.createdAt}`);
    console.log(live && view ? `  ${progressLine(live.state, view)}` : '  no live counters in Redis (the run may have been planned by a Redis that lost them); its report comes when it ends');
  }
  return EXIT.ok;
}

async function watch(runtime: Runtime, runId: string, o: FollowOptions): Promise<number> {
  const entry = await findRun(runtime, runId);
  if (entry.report) return printReport(runtime, entry.report, entry.outputPrefix, o.json);
  if (!entry.snapshot && entry.error) {
    return printFailure(o.json, { runId, status: 'refused', report: null, message: entry.error.message }, `manifest ${entry.error.manifestKey} was refused: ${entry.error.message}`);
  }
  return followRun(runtime, { runId, outputPrefix: entry.outputPrefix }, o);
}

async function cancel(runtime: Runtime, runId: string): Promise<number> {
  const { cancelled, woken } = await cancelRun(runtime, runId, `${userInfo().username}@${hostname()} (datashunt runs cancel)`);
  console.log(
    cancelled
      ? `cancelled run ${runId}${woken ? ` (woke ${woken} calls waiting for a rate-limit slot)` : ''}: rows not yet asked fall back to the small model, flagged cancelled; follow it with datashunt runs watch ${runId}`
      : `run ${runId} was already cancelled`,
  );
  return EXIT.ok;
}

async function resume(runtime: Runtime, runId: string, o: FollowOptions & { wait: boolean }): Promise<number> {
  const resumed = await resumeRun(runtime, runId);
  (o.json ? console.error : console.log)(`resuming run ${runId} (manifest ${resumed.manifestKey})`);
  if (!o.wait) return EXIT.ok;
  return followRun(runtime, { runId, outputPrefix: resumed.outputPrefix, ingestJobId: resumed.ingestJobId }, o);
}
