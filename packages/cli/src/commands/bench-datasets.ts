import { parseArgs } from 'node:util';
import { buildDataset, DATASET_NAMES, DEFAULT_OUT_DIR, DEFAULT_SEED, formatCountsTable, isDatasetName, type DatasetMeta } from '@datashunt/datasets';

const USAGE = `usage: datashunt bench-datasets [--only ${DATASET_NAMES.join(',')}] [--seed N] [--out DIR]
Builds the benchmark datasets into DIR/<name>/{train,validation,test}.jsonl + meta.json (default ${DEFAULT_OUT_DIR}, seed ${DEFAULT_SEED}).`;

/** Builds the benchmark datasets (all, or those named by --only) and prints their counts. */
export async function benchDatasetsCommand(argv: string[]): Promise<number> {
  let values: { only?: string; seed?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { only: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = values.only === undefined ? [...DATASET_NAMES] : values.only.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !isDatasetName(n));
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (unknown.length > 0 || names.length === 0 || !Number.isSafeInteger(seed)) {
    console.error(`${unknown.length > 0 ? `unknown dataset(s): ${unknown.join(', ')}` : names.length === 0 ? '--only names no dataset' : `--seed must be an integer, got ${values.seed}`}\n${USAGE}`);
    return 2;
  }
  const metas: DatasetMeta[] = [];
  for (const name of names.filter(isDatasetName)) {
    try {
      metas.push(await buildDataset(name, { seed, ...(values.out !== undefined && { outDir: values.out }) }));
    } catch (err) {
      console.error(`building ${name} failed: ${(err as Error).message}`);
      return 1;
    }
  }
  console.log(formatCountsTable(metas));
  return 0;
}
