import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { RunWatcher } from '@datashunt/runtime';
import { bootstrap, BootstrapManifestSchema, type BootstrapOutcome } from '../bootstrap.js';
import { formatCalibration } from '../calibration-format.js';
import type { CalibrationTarget } from '../calibration-runs.js';
import { action, CommandError, exitCodeOfStatus, UsageError } from '../command-errors.js';
import { printJson, withRuntime } from '../cli-runtime.js';
import { fractionBelowOne, nonNegativeNumber, positiveInteger, positiveNumber, share } from '../option-values.js';
import { formatReport } from '../report-format.js';
import { targetsOf } from './calibrate.js';

interface BootstrapCommandOptions {
  manifest: string;
  input: string;
  sample: number;
  maxUsd: number;
  seed: number;
  family?: 'text-fasttext' | 'image-mlp';
  modelName?: string;
  target: CalibrationTarget['target'];
  tolerance: number;
  maxQueryShare?: number;
  maxUsdPer1k?: number;
  epochs?: number;
  run: boolean;
  json?: boolean;
  timeoutMinutes: number;
}

export function addBootstrapCommand(program: Command): void {
  program
    .command('bootstrap')
    .summary('cold start: the large model labels a sample, a small model is trained on it and calibrated, DS+ runs over the rest')
    .description(
      'cold start for a task with no small model and no labels, every step a metered run of the pipeline: the large model labels a seeded ' +
        'sample in a large-only run whose budget is --max-usd; a specific small model is trained on its resolved answers (unresolved answers ' +
        `and fallbacks are left out), registered as current and calibrated on the quarter of the sample it did not train on; then DS+ runs ` +
        'over the rows not in the sample at the delta chosen for --target.',
    )
    .requiredOption('--manifest <file>', "manifest JSON file: the task, the large model, budgetUsd (for the calibration and DS+ runs); its input, delta and small model are the command's")
    .requiredOption('--input <source>', 'the unlabelled rows: a JSONL file (uploaded) or s3://bucket/key inside INPUT_SCOPES')
    .requiredOption('--sample <n>', 'rows the large model labels', positiveInteger)
    .requiredOption('--max-usd <d>', 'the most the labelling run may spend (its budgetUsd); labelling that reaches it stops bootstrap', positiveNumber)
    .option('--seed <n>', 'seed of the sample draw and of training', positiveInteger, 1)
    .addOption(new Option('--family <family>', 'small model family (default: text-fasttext for text tasks, image-mlp for images)').choices(['text-fasttext', 'image-mlp']))
    .option('--model-name <name>', "name to register the model under (default: the manifest's smallModel.name)")
    .addOption(new Option('--target <target>', 'the target delta is calibrated for').choices(['max-accuracy', 'match-large', 'budget']).default('max-accuracy'))
    .option('--tolerance <x>', 'match-large: accuracy below the large model allowed', fractionBelowOne, 0.005)
    .option('--max-query-share <q>', 'budget: largest share of rows sent to the large model', share)
    .option('--max-usd-per-1k <d>', 'budget: most dollars per 1,000 rows', nonNegativeNumber)
    .option('--epochs <n>', 'training epochs', positiveInteger)
    .option('--no-run', 'stop after calibrating: no DS+ run over the rest')
    .option('--json', 'one JSON document on stdout')
    .option('--timeout-minutes <n>', 'give up on a run after this long', positiveNumber, 60)
    .action(action((o: BootstrapCommandOptions) => run(o)));
}

async function run(o: BootstrapCommandOptions): Promise<number> {
  const target = targetsOf(o).find((t) => t.target === o.target);
  if (!target) throw new UsageError('--target budget needs --max-query-share or --max-usd-per-1k');
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(await readFile(o.manifest, 'utf8'));
  } catch (error) {
    throw new CommandError(`${o.manifest}: ${(error as Error).message}`);
  }
  const parsed = BootstrapManifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new CommandError(`${o.manifest}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ')}`);
  const modelName = o.modelName ?? parsed.data.smallModel?.name;
  if (!modelName) throw new UsageError('give --model-name, or smallModel.name in the manifest');
  const family = o.family ?? (parsed.data.task.inputKind === 'image' ? 'image-mlp' : 'text-fasttext');

  return withRuntime(async (runtime) => {
    const { config } = runtime;
    const watcher = new RunWatcher(config, runtime.redisOutages, runtime.redis);
    try {
      await watcher.ready();
      const log = o.json ? () => {} : (line: string) => console.error(line);
      const outcome = await bootstrap({ config, runtime, watcher, runTimeoutMs: o.timeoutMinutes * 60_000, log }, manifestJson, {
        input: o.input,
        sample: o.sample,
        maxUsd: o.maxUsd,
        seed: o.seed,
        family,
        modelName,
        target,
        run: o.run,
        hyper: { seed: o.seed, ...(o.epochs ? { epochs: o.epochs } : {}) },
      });
      if (o.json) printJson({ ...outcome, model: { ...outcome.model, trainIds: outcome.model.trainIds.length } });
      else console.log(formatOutcome(outcome, target.target, `s3://${runtime.bucket}/${outcome.calibration.recordKey}`));
      return outcome.run ? exitCodeOfStatus(outcome.run.status) : 0;
    } finally {
      await watcher.close();
    }
  });
}

function formatOutcome(outcome: BootstrapOutcome, target: CalibrationTarget['target'], recordUri: string): string {
  const l = outcome.labelling;
  const excluded = Object.entries(l.excluded).map(([reason, n]) => `${reason} ${n}`).join(', ');
  return [
    `labelling run ${l.runId}: ${l.rows} rows, ${l.paidCalls} paid and ${l.cachedCalls} cached calls, $${l.costUsd.toFixed(4)}`,
    `model ${outcome.model.name} ${outcome.model.version}: trained on ${l.trainingRows} large-model labels${excluded ? ` (left out: ${excluded})` : ''}, registered as current specific`,
    '',
    formatCalibration(outcome.calibration.record, target, recordUri),
    ...(outcome.run ? ['', formatReport(outcome.run)] : []),
  ].join('\n');
}
