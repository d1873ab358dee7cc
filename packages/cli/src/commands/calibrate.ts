import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createRuntime, loadConfig, RunWatcher } from '@datashunt/runtime';
import { calibrate, CalibrationManifestSchema, type CalibrationTarget } from '../calibration-runs.js';
import { calibrationSvg, choiceFor, formatCalibration } from '../calibration-format.js';
import { loadCalibrationSample, DEFAULT_UNLABELLED_ROWS } from '../calibration-sample.js';
import { CommandError, UsageError } from '../subcommands.js';

const USAGE = `usage: datashunt calibrate <manifest.json> --sample FILE|s3://bucket/key [--rows N] [--seed N]
         [--target max-accuracy|match-large|budget] [--tolerance X] [--max-query-share Q] [--max-usd-per-1k D]
         [--chart FILE.svg] [--json] [--timeout-minutes N]
Runs the sample through the pipeline as small-only and large-only (the large model's answers are paid once,
then cached), computes DS+ accuracy, query share and $ per 1,000 rows for every delta on a grid, chooses
delta for the target (default max-accuracy) and stores the record with the small model's version, so a
manifest can say "delta": {"target": "max-accuracy"}. A labelled sample is used whole unless --rows N draws
from it; an unlabelled one gives ${DEFAULT_UNLABELLED_ROWS} rows (seeded, --seed, default 1), and accuracy then means agreement with
the large model. --tolerance (match-large, default 0.005) and the budget limits are fractions / dollars.`;

export async function calibrateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sample: { type: 'string' },
      rows: { type: 'string' },
      seed: { type: 'string', default: '1' },
      target: { type: 'string', default: 'max-accuracy' },
      tolerance: { type: 'string', default: '0.005' },
      'max-query-share': { type: 'string' },
      'max-usd-per-1k': { type: 'string' },
      chart: { type: 'string' },
      json: { type: 'boolean' },
      'timeout-minutes': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (positionals.length !== 1 || !values.sample) throw new UsageError('give one manifest file and --sample');
    return await run(positionals[0]!, { ...values, sample: values.sample });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`calibrate: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof CommandError) {
      console.error(`calibrate: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function run(
  manifestPath: string,
  o: { sample: string; rows?: string; seed: string; target: string; tolerance: string; 'max-query-share'?: string; 'max-usd-per-1k'?: string; chart?: string; json?: boolean; 'timeout-minutes': string },
): Promise<number> {
  const targets = targetsOf(o);
  const chosen = o.target;
  if (!targets.some((t) => t.target === chosen)) {
    throw new UsageError(chosen === 'budget' ? '--target budget needs --max-query-share or --max-usd-per-1k' : `--target must be max-accuracy, match-large or budget, got "${chosen}"`);
  }
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new CommandError(`${manifestPath}: ${(error as Error).message}`);
  }
  const parsed = CalibrationManifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new CommandError(`${manifestPath}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ')}`);

  const config = loadConfig();
  const runtime = await createRuntime(config, 'datashunt-cli');
  const watcher = new RunWatcher(config);
  try {
    await watcher.ready();
    const sample = await loadCalibrationSample({
      source: o.sample,
      labels: parsed.data.task.labels,
      ...(o.rows === undefined ? {} : { rows: positiveInt(o.rows, 'rows') }),
      seed: positiveInt(o.seed, 'seed'),
      s3: runtime.s3,
      scopes: config.scopes,
    });
    const log = o.json ? () => {} : (line: string) => console.error(line);
    const { record, recordKey } = await calibrate({ config, runtime, watcher, runTimeoutMs: Number(o['timeout-minutes']) * 60_000, log }, manifestJson, sample, targets);
    const main = choiceFor(record, chosen as CalibrationTarget['target']);
    if (o.json) {
      console.log(JSON.stringify({ target: main.target, choice: main.choice, recordKey, record }, null, 2));
      return main.choice.feasible ? 0 : 1;
    }
    const chartPath = o.chart ?? `.data/calibration/${record.model.name}-${record.model.version}.svg`;
    await mkdir(dirname(chartPath), { recursive: true });
    await writeFile(chartPath, calibrationSvg(record, main));
    console.log(formatCalibration(record, chosen as CalibrationTarget['target'], `s3://${runtime.bucket}/${recordKey}`));
    console.log(`chart: ${chartPath}`);
    return main.choice.feasible ? 0 : 1;
  } finally {
    await watcher.close();
    await runtime.close();
  }
}

/** max-accuracy and match-large are always recorded; budget when a limit is given. */
export function targetsOf(o: { tolerance: string; 'max-query-share'?: string; 'max-usd-per-1k'?: string }): CalibrationTarget[] {
  const targets: CalibrationTarget[] = [{ target: 'max-accuracy' }, { target: 'match-large', tolerance: fraction(o.tolerance, 'tolerance') }];
  const share = o['max-query-share'];
  const usd = o['max-usd-per-1k'];
  if (share !== undefined || usd !== undefined) {
    targets.push({
      target: 'budget',
      ...(share === undefined ? {} : { maxQueryShare: share01(share) }),
      ...(usd === undefined ? {} : { maxUsdPer1k: nonNegative(usd, 'max-usd-per-1k') }),
    });
  }
  return targets;
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(n) && n >= 0)) throw new UsageError(`--${flag} must be a number >= 0, got "${value}"`);
  return n;
}

function fraction(value: string, flag: string): number {
  const n = nonNegative(value, flag);
  if (n >= 1) throw new UsageError(`--${flag} is a fraction below 1 (0.01 is one point), got "${value}"`);
  return n;
}

function share01(value: string): number {
  const n = nonNegative(value, 'max-query-share');
  if (n > 1) throw new UsageError(`--max-query-share is a share of rows from 0 to 1, got "${value}"`);
  return n;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}
