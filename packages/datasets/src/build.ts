import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fineFoodsSource } from './fine-foods.js';
import { writeJsonlFile } from './jsonl.js';
import { mnistLtSource } from './mnist-lt.js';
import { spamSource } from './spam.js';
import { SPLIT_NAMES, type DatasetMeta, type DatasetName, type DatasetRecord, type DatasetSource, type SplitName, type SplitStats, type Splits } from './types.js';

export const DEFAULT_OUT_DIR = '.data/datasets';
export const DEFAULT_SEED = 1;

const SOURCES: Record<DatasetName, DatasetSource> = { spam: spamSource, 'fine-foods': fineFoodsSource, 'mnist-lt': mnistLtSource };

export interface BuildOptions {
  /** Folder that receives `<name>/`; relative paths are taken from the working directory. */
  outDir?: string;
  seed?: number;
}

export type DatasetPaths = { dir: string; meta: string } & Record<SplitName, string>;

export function datasetPaths(name: DatasetName, outDir: string = DEFAULT_OUT_DIR): DatasetPaths {
  const dir = resolve(outDir, name);
  return { dir, meta: join(dir, 'meta.json'), train: join(dir, 'train.jsonl'), validation: join(dir, 'validation.jsonl'), test: join(dir, 'test.jsonl') };
}

export async function readDatasetMeta(name: DatasetName, outDir?: string): Promise<DatasetMeta | undefined> {
  const paths = datasetPaths(name, outDir);
  if (!existsSync(paths.meta)) return undefined;
  return JSON.parse(await readFile(paths.meta, 'utf8')) as DatasetMeta;
}

/**
 * Builds one dataset into `<outDir>/<name>/` and returns its meta. A build with the same seed and
 * builder version that already finished (meta.json is written last) is reused as it is.
 */
export async function buildDataset(name: DatasetName, options: BuildOptions = {}): Promise<DatasetMeta> {
  const source = SOURCES[name];
  if (!source) throw new Error(`unknown dataset "${String(name)}"; known: ${Object.keys(SOURCES).join(', ')}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const paths = datasetPaths(name, options.outDir);
  const existing = await readDatasetMeta(name, options.outDir);
  if (existing && existing.seed === seed && existing.builderVersion === source.builderVersion && SPLIT_NAMES.every((s) => existsSync(paths[s]))) {
    return existing;
  }
  await rm(paths.meta, { force: true });
  await mkdir(paths.dir, { recursive: true });
  const result = await source.build(seed);
  checkSplits(source, result.splits);
  const splits = {} as Record<SplitName, SplitStats>;
  for (const split of SPLIT_NAMES) {
    await writeJsonlFile(paths[split], result.splits[split]);
    splits[split] = { file: `${split}.jsonl`, ...countRows(source.labels, result.splits[split]), sha256: await sha256File(paths[split]) };
  }
  const meta: DatasetMeta = {
    name,
    builderVersion: source.builderVersion,
    seed,
    kind: source.kind,
    labels: [...source.labels],
    ...(source.labelGroups && { labelGroups: Object.fromEntries(Object.entries(source.labelGroups).map(([g, ls]) => [g, [...ls]])) }),
    splits,
    source: result.source,
    licence: source.licence,
    params: result.params,
    notes: result.notes,
  };
  await writeFile(paths.meta, `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** Guards against builder bugs: labels outside the fixed set, empty inputs, ids shared between rows. */
function checkSplits(source: DatasetSource, splits: Splits): void {
  const ids = new Set<string>();
  for (const split of SPLIT_NAMES) {
    for (const row of splits[split]) {
      if (!source.labels.includes(row.label)) throw new Error(`${source.name}/${split}: row ${row.id} has unknown label "${row.label}"`);
      if (row.input.length === 0) throw new Error(`${source.name}/${split}: row ${row.id} has an empty input`);
      if (ids.has(row.id)) throw new Error(`${source.name}: id ${row.id} appears twice`);
      ids.add(row.id);
    }
  }
}

/** Per-label counts in the fixed label order; per-group counts, sorted, where rows carry a group. */
export function countRows(labels: readonly string[], rows: readonly DatasetRecord[]): Pick<SplitStats, 'total' | 'byLabel' | 'byGroup'> {
  const byLabel = Object.fromEntries(labels.map((l) => [l, 0]));
  const groups = new Map<string, number>();
  for (const row of rows) {
    byLabel[row.label] = (byLabel[row.label] ?? 0) + 1;
    if (row.group !== undefined) groups.set(row.group, (groups.get(row.group) ?? 0) + 1);
  }
  const byGroup = groups.size > 0 ? Object.fromEntries([...groups].sort(([a], [b]) => (a < b ? -1 : 1))) : undefined;
  return { total: rows.length, byLabel, ...(byGroup && { byGroup }) };
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
