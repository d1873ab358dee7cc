import type { Command } from 'commander';
import {
  enqueueDistillation,
  listDistillationSchedules,
  scheduleDistillation,
  unscheduleDistillation,
  waitForDistillation,
  type DistillSchedule,
  type DistillSummary,
} from '@datashunt/trainer';
import { action, UsageError } from '../command-errors.js';
import { withRuntime } from '../cli-runtime.js';
import { duration, list, positiveNumber } from '../option-values.js';

/** `datashunt distill ...`: run, schedule and list 2CD distillation jobs (Redis and S3 settings from the environment). */
export function addDistillCommands(program: Command): void {
  const distill = program.command('distill').description('2CD: distill large-model answers into the learnable model, now or on a schedule');
  distill
    .command('now')
    .description(
      'enqueue 2CD for a model over its finished runs (or only the given ones); --wait prints the outcome. Without --runs, evaluation runs are ' +
        'never used, nor runs whose rows carry gold labels unless --include-labelled. The new learnable version is promoted only if the promotion gate allows it.',
    )
    .requiredOption('--model <name>', 'the specific model to distill')
    .option('--runs <ids>', 'only these runs (comma-separated)', list)
    .option('--include-labelled', 'also learn from runs whose rows carry gold labels')
    .option('--wait', 'wait for the outcome and print it')
    .option('--timeout-minutes <n>', 'give up waiting after this long', positiveNumber, 120)
    .option('--json', 'with --wait: one JSON document on stdout')
    .action(action((o: NowOptions) => now(o)));
  distill
    .command('schedule')
    .description('redistill on a schedule (one schedule per model; scheduling again replaces it)')
    .requiredOption('--model <name>', 'the specific model to distill')
    .option('--every <duration>', 'a number with a unit: ms, s, m, h or d (e.g. 24h)', duration)
    .option('--cron <expression>', 'a cron expression, e.g. "0 3 * * *"')
    .option('--tz <zone>', 'time zone of --cron, e.g. Europe/Paris')
    .action(action((o: { model: string; every?: number; cron?: string; tz?: string }) => schedule(o)));
  distill
    .command('unschedule')
    .description("remove a model's distillation schedule (exit 1 when it had none)")
    .requiredOption('--model <name>', 'the model')
    .action(action((o: { model: string }) => unschedule(o.model)));
  distill
    .command('list')
    .description('the distillation schedules')
    .option('--json', 'one JSON document on stdout')
    .action(action((o: { json?: boolean }) => listSchedules(o.json)));
}

interface NowOptions {
  model: string;
  runs?: string[];
  includeLabelled?: boolean;
  wait?: boolean;
  timeoutMinutes: number;
  json?: boolean;
}

async function now(o: NowOptions): Promise<number> {
  return withRuntime(async (runtime) => {
    const job = await enqueueDistillation(runtime, { modelName: o.model, ...(o.runs ? { runIds: o.runs } : {}), ...(o.includeLabelled ? { includeLabelled: true } : {}) });
    console.error(`enqueued distill job ${job.id}`);
    if (!o.wait) return 0;
    const summary = await waitForDistillation(runtime, job, o.timeoutMinutes * 60_000);
    console.log(o.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    return summary.status === 'no-model' ? 1 : 0;
  });
}

async function schedule(o: { model: string; every?: number; cron?: string; tz?: string }): Promise<number> {
  if ((o.every === undefined) === (o.cron === undefined)) throw new UsageError('give one of --every and --cron');
  if (o.tz && !o.cron) throw new UsageError('--tz goes with --cron');
  const when: DistillSchedule = o.every !== undefined ? { everyMs: o.every } : { cron: o.cron!, ...(o.tz ? { tz: o.tz } : {}) };
  const id = await withRuntime((runtime) => scheduleDistillation(runtime, o.model, when));
  console.log(`scheduled ${id}: ${o.every !== undefined ? `every ${o.every} ms` : `cron "${o.cron}"${o.tz ? ` (${o.tz})` : ''}`}`);
  return 0;
}

async function unschedule(model: string): Promise<number> {
  const removed = await withRuntime((runtime) => unscheduleDistillation(runtime, model));
  console.log(removed ? `removed the distillation schedule of ${model}` : `${model} had no distillation schedule`);
  return removed ? 0 : 1;
}

async function listSchedules(json: boolean | undefined): Promise<number> {
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
