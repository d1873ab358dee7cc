import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { classCountWarnings, pixelsToImage } from '@datashunt/algorithms';
import { DatasetRowSchema } from '@datashunt/contracts';
import { DEFAULT_GRID, trainPixelKnn } from './pixel-knn.js';
import { mulberry32, shuffleInPlace } from '@datashunt/algorithms';
import { fitTemperature, STAND_IN_FORMAT, standInLogits, type StandInInput, type StandInModel } from './stand-in-model.js';
import { trainNaiveBayes } from './text-naive-bayes.js';

export interface BuildStandInOptions {
  /** A JSONL file of {id, input, label} rows. */
  trainPath: string;
  /** The task name: names the stand-in and its file. */
  task: string;
  /** Training rows drawn per class (fewer when a class has fewer). */
  perClass: number;
  seed: number;
  /** Image tasks: pixels are averaged down to grid x grid before comparing. */
  grid?: number;
  /** Where a warning line goes (a class with fewer rows than asked for); stderr by default. */
  warn?: (line: string) => void;
}

type RowInput = string | number[];

/**
 * A generalist that knows every class but none deeply: trained on a small balanced sample (perClass rows
 * of each class), with its softmax temperature fitted on a second, disjoint sample of the same size.
 */
export async function buildStandIn(options: BuildStandInOptions): Promise<StandInModel> {
  const random = mulberry32(options.seed);
  const byLabel = await sampleByLabel(options.trainPath, 2 * options.perClass, random);
  const labels = [...byLabel.keys()].sort();
  if (labels.length < 2) throw new Error(`${options.trainPath}: need at least two labels, found ${labels.length}`);
  // A short class is trained and calibrated on fewer rows than the others: say so rather than skew quietly.
  const counts = Object.fromEntries(labels.map((label) => [label, byLabel.get(label)!.length]));
  const warn = options.warn ?? ((line: string) => console.warn(`warning: ${line}`));
  for (const line of classCountWarnings(counts, 2 * options.perClass, 'rows', ` asked for (perClass ${options.perClass} to train and ${options.perClass} to calibrate)`)) warn(`${options.trainPath}: ${line}`);
  const train: Array<{ input: RowInput; classIndex: number }> = [];
  const calibration: typeof train = [];
  labels.forEach((label, classIndex) => {
    const rows = shuffleInPlace(byLabel.get(label)!, random);
    rows.forEach((input, i) => (i < options.perClass ? train : calibration).push({ input, classIndex }));
  });

  const common = { format: STAND_IN_FORMAT, name: options.task, labels, perClass: options.perClass, seed: options.seed, source: basename(options.trainPath), temperature: 1 };
  const classOf = train.map((r) => r.classIndex);
  const kind = inputKindOf(train.map((r) => r.input));
  const model: StandInModel =
    kind === 'text'
      ? { ...common, kind, naiveBayes: trainNaiveBayes(train.map((r) => r.input as string), classOf, labels.length) }
      : { ...common, kind, knn: trainPixelKnn(train.map((r) => pixelsToImage(r.input as number[])), classOf, options.grid ?? DEFAULT_GRID) };
  const calibrationLogits = calibration.map((r) => standInLogits(model, toStandInInput(r.input)));
  model.temperature = fitTemperature(calibrationLogits, calibration.map((r) => r.classIndex));
  return model;
}

export async function writeStandIn(modelsDir: string, model: StandInModel): Promise<string> {
  await mkdir(modelsDir, { recursive: true });
  const path = join(modelsDir, `${model.name}.json`);
  await writeFile(path, JSON.stringify(model));
  return path;
}

export function toStandInInput(input: RowInput): StandInInput {
  return typeof input === 'string' ? { kind: 'text', text: input } : { kind: 'image', image: pixelsToImage(input) };
}

/** One streaming pass with a reservoir per label: a uniform sample of `size` rows each, any file size. */
async function sampleByLabel(path: string, size: number, random: () => number): Promise<Map<string, RowInput[]>> {
  const reservoirs = new Map<string, { seen: number; rows: RowInput[] }>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    const row = DatasetRowSchema.safeParse(JSON.parse(line));
    if (!row.success || row.data.label === undefined) throw new Error(`${path}:${lineNumber}: expected {id, input, label}`);
    const reservoir = reservoirs.get(row.data.label) ?? { seen: 0, rows: [] };
    reservoirs.set(row.data.label, reservoir);
    reservoir.seen++;
    if (reservoir.rows.length < size) reservoir.rows.push(row.data.input);
    else {
      const slot = Math.floor(random() * reservoir.seen);
      if (slot < size) reservoir.rows[slot] = row.data.input;
    }
  }
  return new Map([...reservoirs].map(([label, r]) => [label, r.rows]));
}

function inputKindOf(inputs: RowInput[]): 'text' | 'image' {
  const texts = inputs.filter((input) => typeof input === 'string').length;
  if (texts === inputs.length) return 'text';
  if (texts === 0) return 'image';
  throw new Error('training rows mix text and pixel inputs');
}
