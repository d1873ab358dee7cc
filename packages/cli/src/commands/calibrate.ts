import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { RunWatcher } from '@datashunt/runtime';
import { calibrate, CalibrationManifestSchema, type CalibrationTarget } from '../calibration-runs.js';
import { calibrationSvg, choiceFor, formatCalibration } from '../calibration-format.js';
import { loadCalibrationSample, DEFAULT_UNLABELLED_ROWS } from '../calibration-sample.js';
import { action, CommandError, UsageError } from '../command-errors.js';
import { withRuntime } from '../cli-runtime.js';
import { fractionBelowOne, nonNegativeNumber, positiveInteger, positiveNumber, share } from '../option-values.js';

interface CalibrateOptions {
  sample: string;
  rows?: number;
  seed: number;
  target: CalibrationTarget['target'];
  tolerance: number;
  maxQueryShare?: number;
  maxUsdPer1k?: number;
  chart?: string;
  json?: boolean;
  timeoutMinutes: number;
}

export function addCalibrateCommand(program: Command): void {
  program
    .command('calibrate')
    .summary('choose delta for a target from small-only and large-only runs over a sample; store it with the model version')
    .description(
      'choose delta for a target and store it with the small model version. Runs the sample through the pipeline as small-only and large-only ' +
        '(the large model is paid once, then cached), computes DS+ accuracy, query share and $ per 1,000 rows for every delta on a grid, ' +
        'so that a manifest can say "delta": {"target": "max-accuracy"}. A labelled sample is used whole unless --rows draws from it; ' +
        `an unlabelled one gives ${DEFAULT_UNLABELLED_ROWS} rows, and accuracy then means agreement with the large model.`,
    )
    .argument('<manifest>', 'manifest JSON file (its task, small model and large model)')
    .requiredOption('--sample <source>', 'sample rows: a JSONL file or s3://bucket/key')
    .option('--rows <n>', 'rows to draw from the sample (seeded)', positiveInteger)
    .option('--seed <n>', 'seed of the draw', positiveInteger, 1)
    .addOption(new Option('--target <target>', 'the target to choose delta for').choices(['max-accuracy', 'match-large', 'budget']).default('max-accuracy'))
    .option('--tolerance <x>', 'match-large: accuracy below the large model allowed (a fraction; 0.01 is one point)', fractionBelowOne, 0.005)
    .option('--max-query-share <q>', 'budget: largest share of rows sent to the large model', share)
    .option('--max-usd-per-1k <d>', 'budget: most dollars per 1,000 rows', nonNegativeNumber)
    .option('--chart <file.svg>', 'where to write the chart (default .data/calibration/<model>-<version>.svg)')
    .option('--json', 'one JSON document on stdout')
    .option('--timeout-minutes <n>', 'give up on a calibration run after this long', positiveNumber, 60)
    .action(action((manifestPath: string, o: CalibrateOptions) => run(manifestPath, o)));
}

async function run(manifestPath: string, o: CalibrateOptions): Promise<number> {
  const targets = targetsOf(o);
  const chosen = o.target;
  if (!targets.some((t) => t.target === chosen)) throw new UsageError('--target budget needs --max-query-share or --max-usd-per-1k');
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new CommandError(`${manifestPath}: ${(error as Error).message}`);
  }
  const parsed = CalibrationManifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new CommandError(`${manifestPath}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ')}`);

  return withRuntime(async (runtime) => {
    const { config } = runtime;
    const watcher = new RunWatcher(config, runtime.redisOutages, runtime.redis);
    try {
      await watcher.ready();
      const sample = await loadCalibrationSample({
        source: o.sample,
        labels: parsed.data.task.labels,
        ...(o.rows === undefined ? {} : { rows: o.rows }),
        seed: o.seed,
        s3: runtime.s3,
        scopes: config.scopes,
      });
      const log = o.json ? () => {} : (line: string) => console.error(line);
      const { record, recordKey } = await calibrate({ config, runtime, watcher, runTimeoutMs: o.timeoutMinutes * 60_000, log }, manifestJson, sample, targets);
      const main = choiceFor(record, chosen);
      if (o.json) {
        console.log(JSON.stringify({ target: main.target, choice: main.choice, recordKey, record }, null, 2));
        return main.choice.feasible ? 0 : 1;
      }
      const chartPath = o.chart ?? `.data/calibration/${record.model.name}-${record.model.version}.svg`;
      await mkdir(dirname(chartPath), { recursive: true });
      await writeFile(chartPath, calibrationSvg(record, main));
      console.log(formatCalibration(record, chosen, `s3://${runtime.bucket}/${recordKey}`));
      console.log(`chart: ${chartPath}`);
      return main.choice.feasible ? 0 : 1;
    } finally {
      await watcher.close();
    }
  });
}

/** max-accuracy and match-large are always recorded; budget when a limit is given. */
export function targetsOf(o: { tolerance: number; maxQueryShare?: number; maxUsdPer1k?: number }): CalibrationTarget[] {
  const targets: CalibrationTarget[] = [{ target: 'max-accuracy' }, { target: 'match-large', tolerance: o.tolerance }];
  if (o.maxQueryShare !== undefined || o.maxUsdPer1k !== undefined) {
    targets.push({
      target: 'budget',
      ...(o.maxQueryShare === undefined ? {} : { maxQueryShare: o.maxQueryShare }),
      ...(o.maxUsdPer1k === undefined ? {} : { maxUsdPer1k: o.maxUsdPer1k }),
    });
  }
  return targets;
}
