import { parseArgs, type ParseArgsConfig } from 'node:util';
import { dispatch, UsageError, type Subcommand } from '../subcommands.js';
import { createRuntime, loadConfig, type Runtime } from '@datashunt/runtime';
import {
  enqueueDistillation,
  listDistillationSchedules,
  scheduleDistillation,
  unscheduleDistillation,
  waitForDistillation,
  type DistillSchedule,
  type DistillSummary,
} from '@datashunt/trainer';

const USAGE = `usage: datashunt distill <command> [options]
  now        --model NAME [--runs ID,ID] [--include-labelled] [--wait] [--timeout-minutes N] [--json]
             enqueue 2CD for a model over its finished runs (or only the given ones); --wait prints the outcome.
             Without --runs, evaluation runs are never used, nor runs whose rows carry gold labels unless
             --include-labelled. The new learnable version is promoted only if the promotion gate allows it.
  schedule   --model NAME (--every 24h | --cron "0 3 * * *" [--tz Europe/Paris])
             redistill on a schedule (one schedule per model; scheduling again replaces it)
  unschedule --model NAME
  list       [--json]   the distillation schedules
--every takes a number with a unit: ms, s, m, h or d. Redis and S3 settings come from the environment.`;

/** A wrong command line: exit code 2 with the usage text. */
const SUBCOMMANDS: Record<string, Subcommand> = { now, schedule, unschedule, list };

/** `datashunt distill ...`: run, schedule and list 2CD distillation jobs; returns the exit code. */
export function distillCommand(argv: string[]): Promise<number> {
  return dispatch('distill', USAGE, SUBCOMMANDS, argv);
}

/** Connects only once the command line is known to be good. */
async function withRuntime<T>(use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await createRuntime(loadConfig(), 'datashunt-cli');
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

async function now(argv: string[]): Promise<number> {
  const o = options(argv, { model: str, runs: str, 'include-labelled': bool, wait: bool, 'timeout-minutes': { type: 'string', default: '120' }, json: bool });
  const modelName = required(o.model, 'model');
  const runIds = o.runs ? o.runs.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const timeoutMs = positive(o['timeout-minutes'], 'timeout-minutes') * 60_000;
  return withRuntime(async (runtime) => {
    const job = await enqueueDistillation(runtime, { modelName, ...(runIds ? { runIds } : {}), ...(o['include-labelled'] ? { includeLabelled: true } : {}) });
    console.error(`enqueued distill job ${job.id}`);
    if (!o.wait) return 0;
    const summary = await waitForDistillation(runtime, job, timeoutMs);
    console.log(o.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    return summary.status === 'no-model' ? 1 : 0;
  });
}

async function schedule(argv: string[]): Promise<number> {
  const o = options(argv, { model: str, every: str, cron: str, tz: str });
  const modelName = required(o.model, 'model');
  if (Boolean(o.every) === Boolean(o.cron)) throw new UsageError('give one of --every and --cron');
  if (o.tz && !o.cron) throw new UsageError('--tz goes with --cron');
  const when: DistillSchedule = o.every ? { everyMs: parseDuration(o.every) } : { cron: o.cron!, ...(o.tz ? { tz: o.tz } : {}) };
  const id = await withRuntime((runtime) => scheduleDistillation(runtime, modelName, when));
  console.log(`scheduled ${id}: ${o.every ? `every ${o.every}` : `cron "${o.cron}"${o.tz ? ` (${o.tz})` : ''}`}`);
  return 0;
}

async function unschedule(argv: string[]): Promise<number> {
  const model = required(options(argv, { model: str }).model, 'model');
  const removed = await withRuntime((runtime) => unscheduleDistillation(runtime, model));
  console.log(removed ? `removed the distillation schedule of ${model}` : `${model} had no distillation schedule`);
  return removed ? 0 : 1;
}

async function list(argv: string[]): Promise<number> {
  const { json } = options(argv, { json: bool });
  const schedules = await withRuntime(listDistillationSchedules);
  if (json) {
    console.log(JSON.stringify(schedules, null, 2));
    return 0;
  }
  if (schedules.length === 0) console.log('no distillation schedules');
  for (const s of schedules) {
    const when = s.cron ? `cron "${s.cron}"${s.tz ? ` (${s.tz})` : ''}` : `every ${s.everyMs} ms`;
    console.log(`${s.modelName ?? s.id}  ${when}  next ${s.next ? new Date(s.next).toISOString() : '-'}`);
  }
  return 0;
}

function formatSummary(s: DistillSummary): string {
  if (s.status === 'no-model') return `no specific model named ${s.modelName} is registered`;
  const lines = [
    `${s.modelName} (specific ${s.specificVersion}): ${s.status}`,
    `runs used: ${s.runs.length ? s.runs.join(', ') : '(none)'}`,
    ...s.refusedRuns.map((r) => `run ${r.runId} not used: ${r.reason}`),
    `x1 (specialist sure) ${s.x1} rows, x3 (large model sure) ${s.x3} rows, ${s.heldOut} large-model answers held out for the promotion gate; left out: ${Object.entries(s.skipped).filter(([, n]) => n > 0).map(([why, n]) => `${why} ${n}`).join(', ') || 'none'}`,
    s.x3Confidence.note,
  ];
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
  const { accuracy, rawAccuracy } = s.x3Confidence;
  if (accuracy) lines.push(`x3 against gold labels: ${pct(accuracy.accuracy)} of ${accuracy.rows} labelled rows${rawAccuracy ? ` (raw C_l would have selected ${rawAccuracy.rows} at ${pct(rawAccuracy.accuracy)})` : ''}`);
  if (s.status === 'trained') {
    const v = s.validation;
    lines.push(
      `learnable ${s.version} registered ${s.promotion.promoted ? 'and promoted' : 'as a candidate (not promoted)'} (parent ${s.parentVersion}; ${s.trainRows} training rows, x3 repeated ${s.x3Repeat}x)`,
      `promotion gate: ${s.promotion.reason}`,
      `validation (${v.rows} held-out rows): agreement ${pct(v.accuracy)}, on x1 ${pct(v.agreementX1)}, on x3 ${pct(v.agreementX3)}, ECE ${v.ece.toFixed(4)}`,
    );
  }
  if (s.status === 'exported') lines.push(`set exported for an external trainer: ${s.exportKey}`);
  return lines.join('\n');
}

/** "24h", "30m", "90s", "1d", "500ms" or a bare number of milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = match ? Number(match[1]) * unit[(match[2] ?? 'ms') as keyof typeof unit] : NaN;
  if (!(ms >= 1)) throw new UsageError(`--every must be a duration like 24h, 30m or 90s, got "${text}"`);
  return Math.round(ms);
}

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

function options<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], spec: T) {
  return parseArgs({ args: argv, options: spec, strict: true }).values;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--${flag} must be a positive number, got "${value}"`);
  return n;
}
