// Builds benchmark datasets from TypeScript sources, no package build needed:
//   node_modules/.bin/tsx scripts/build-datasets.ts [spam fine-foods mnist-lt] [--seed N] [--out DIR]
import { parseArgs } from 'node:util';
import { buildDataset, DATASET_NAMES, DEFAULT_SEED, formatCountsTable, isDatasetName } from '../packages/datasets/src/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seed: { type: 'string' }, out: { type: 'string' } } });
const names = positionals.length > 0 ? positionals : [...DATASET_NAMES];
const unknown = names.filter((n) => !isDatasetName(n));
if (unknown.length > 0) {
  console.error(`unknown dataset(s): ${unknown.join(', ')}; known: ${DATASET_NAMES.join(', ')}`);
  process.exit(2);
}
const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
if (!Number.isSafeInteger(seed)) {
  console.error(`--seed must be an integer, got ${values.seed}`);
  process.exit(2);
}
const metas = [];
for (const name of names.filter(isDatasetName)) metas.push(await buildDataset(name, { seed, ...(values.out !== undefined && { outDir: values.out }) }));
console.log(formatCountsTable(metas));
