import { FeaturizerSchema, type FeaturizerConfig } from '@datashunt/contracts';
import { HyperParameterError, TrainingDataError } from './errors.js';
import type { Network } from './networks.js';
import { Optimizer, type OptimizerName } from './optimizer.js';
import { SeededRandom } from './random.js';
import { createNetwork, type RowFeatures } from './row-features.js';
import { goldIndex, prepareRows, requireEveryClass, type PreparedRows, type TrainingRow } from './training-data.js';
import { classCount, cloneWeights, initMlpWeights, initTextWeights, type ClassifierWeights, type TrainableFamily } from './weights.js';

export interface HyperParameters {
  /** Maximum epochs; early stopping may end sooner. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** SGD only. */
  momentum: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  seed: number;
  /** Share of the training rows held out for early stopping when no validation set is given. */
  validationFraction: number;
  /** text-fasttext: embedding width. */
  embeddingDim: number;
  /** image-mlp: hidden layer widths. */
  hidden: number[];
}

export const DEFAULT_HYPER_PARAMETERS: HyperParameters = {
  epochs: 20,
  batchSize: 32,
  learningRate: 0.005,
  optimizer: 'adam',
  momentum: 0.9,
  patience: 3,
  seed: 1,
  validationFraction: 0.1,
  embeddingDim: 32,
  hidden: [128],
};

export const DEFAULT_TEXT_FEATURIZER: FeaturizerConfig = FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: 1 << 17, maxTokens: 256, ngrams: 2 });

export interface TrainClassifierArgs {
  family: TrainableFamily;
  labels: string[];
  train: readonly TrainingRow[];
  /** Rows for early stopping; without them `validationFraction` of `train` is held out. */
  validation?: readonly TrainingRow[];
  /** Defaults: hashed unigrams+bigrams for text; for pixels the row length, scaled so the largest training value is 1. */
  featurizer?: FeaturizerConfig;
  hyper?: Partial<HyperParameters>;
  /** Start from these weights instead of random ones (2CD: F_s2 starts as a copy of F_s1). Not modified. */
  init?: ClassifierWeights;
  /** Refuse a training set lacking a class; default true, false when fine-tuning from `init`. */
  requireAllClasses?: boolean;
  onEpoch?: (stats: EpochStats) => void;
}

export interface EpochStats {
  epoch: number;
  trainLoss: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  seconds: number;
}

export interface TrainedClassifier {
  weights: ClassifierWeights;
  featurizer: FeaturizerConfig;
  hyper: HyperParameters;
  history: EpochStats[];
  /** The epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
}

/**
 * Mini-batch training on cross-entropy for hard labels and KL divergence for soft targets (the same
 * gradient, softmax - target, so one batch mixes both), with early stopping on validation loss.
 * Deterministic for a given seed.
 */
export function trainClassifier(args: TrainClassifierArgs): TrainedClassifier {
  const hyper = checkHyperParameters({ ...DEFAULT_HYPER_PARAMETERS, ...args.hyper });
  const labels = args.labels;
  if (new Set(labels).size !== labels.length || labels.length < 2) throw new TrainingDataError(`labels must be at least two distinct names, got ${JSON.stringify(labels)}`);
  if (args.train.length === 0) throw new TrainingDataError('the training set is empty');
  const random = new SeededRandom(hyper.seed);
  const featurizer = args.featurizer ?? defaultFeaturizer(args.family, args.train);
  const split = args.validation ? { train: args.train, validation: args.validation } : splitValidation(args.train, hyper.validationFraction, hyper.seed);
  const train = prepareRows(split.train, labels, featurizer, 'training');
  const validation = prepareRows(split.validation, labels, featurizer, 'validation');
  if (args.requireAllClasses ?? !args.init) requireEveryClass(train, labels);

  const weights = args.init ? checkedCopy(args.init, args.family, featurizer, labels.length) : initialWeights(args.family, featurizer, labels.length, hyper, random);
  const network = createNetwork(weights, true);
  const optimizer = new Optimizer(network.params, { name: hyper.optimizer, learningRate: hyper.learningRate, momentum: hyper.momentum });
  const step = new RowStep(labels.length);
  const order = train.features.map((_, i) => i);
  const history: EpochStats[] = [];
  let best = { loss: Infinity, epoch: 0, weights };

  for (let epoch = 1; epoch <= hyper.epochs; epoch++) {
    const started = performance.now();
    random.shuffle(order);
    let lossSum = 0;
    for (let from = 0; from < order.length; from += hyper.batchSize) {
      const batch = order.slice(from, from + hyper.batchSize);
      for (const i of batch) lossSum += step.run(network, train, i, 1 / batch.length);
      optimizer.apply();
    }
    const seconds = (performance.now() - started) / 1000;
    const val = validation.features.length > 0 ? evaluate(network, validation, step) : null;
    const stats = { epoch, trainLoss: lossSum / order.length, validationLoss: val?.loss ?? null, validationAccuracy: val?.accuracy ?? null, seconds };
    history.push(stats);
    args.onEpoch?.(stats);
    // Without validation rows the last epoch is kept; otherwise the best one, and patience ends the run.
    const loss = val?.loss ?? -epoch;
    if (loss < best.loss) best = { loss, epoch, weights: cloneWeights(weights) };
    else if (epoch - best.epoch >= hyper.patience) break;
  }
  return { weights: best.weights, featurizer, hyper, history, bestEpoch: best.epoch };
}

function checkHyperParameters(hyper: HyperParameters): HyperParameters {
  const positiveIntegers = { epochs: hyper.epochs, batchSize: hyper.batchSize, patience: hyper.patience, embeddingDim: hyper.embeddingDim } as Record<string, number>;
  hyper.hidden.forEach((h, i) => (positiveIntegers[`hidden[${i}]`] = h));
  for (const [name, value] of Object.entries(positiveIntegers)) {
    if (!Number.isInteger(value) || value < 1) throw new HyperParameterError(`${name} must be a positive integer, got ${value}`);
  }
  if (!(hyper.learningRate > 0) || !Number.isFinite(hyper.learningRate)) throw new HyperParameterError(`learningRate must be a positive number, got ${hyper.learningRate}`);
  if (!(hyper.validationFraction >= 0 && hyper.validationFraction < 1)) throw new HyperParameterError(`validationFraction must be in [0, 1), got ${hyper.validationFraction}`);
  if (!(hyper.momentum >= 0 && hyper.momentum < 1)) throw new HyperParameterError(`momentum must be in [0, 1), got ${hyper.momentum}`);
  if (hyper.optimizer !== 'adam' && hyper.optimizer !== 'sgd') throw new HyperParameterError(`optimizer must be adam or sgd, got ${String(hyper.optimizer)}`);
  return hyper;
}

/** A seeded random hold-out of `fraction` of the rows (the same split for the same seed). */
export function splitValidation<T>(rows: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const order = new SeededRandom(seed ^ 0x5eed).shuffle(rows.map((_, i) => i));
  const held = Math.floor(rows.length * fraction);
  return { validation: order.slice(0, held).map((i) => rows[i]!), train: order.slice(held).map((i) => rows[i]!) };
}

/** Forward, loss and (when `gradScale` > 0) backward of one row; owns the per-row scratch buffers. */
class RowStep {
  private readonly logits: Float64Array;
  private readonly probs: Float64Array;

  constructor(classes: number) {
    this.logits = new Float64Array(classes);
    this.probs = new Float64Array(classes);
  }

  /** Returns the row's loss: cross-entropy for a hard label, KL(target || model) for a soft target. */
  run(network: Network<RowFeatures>, rows: PreparedRows, i: number, gradScale: number): number {
    const { logits, probs } = this;
    network.forward(rows.features[i]!, logits);
    softmaxInto(logits, probs);
    const hard = rows.hard[i]!;
    const target = rows.soft[i];
    let loss = 0;
    if (target) {
      for (let c = 0; c < probs.length; c++) if (target[c]! > 0) loss += target[c]! * Math.log(target[c]! / Math.max(probs[c]!, 1e-12));
    } else {
      loss = -Math.log(Math.max(probs[hard]!, 1e-12));
    }
    if (gradScale > 0) {
      // d(loss)/d(logits) = softmax - target for both losses.
      for (let c = 0; c < probs.length; c++) logits[c] = (probs[c]! - (target ? target[c]! : c === hard ? 1 : 0)) * gradScale;
      network.backward(rows.features[i]!, logits);
    }
    return loss;
  }

  predicted(): number {
    let best = 0;
    for (let c = 1; c < this.probs.length; c++) if (this.probs[c]! > this.probs[best]!) best = c;
    return best;
  }
}

function evaluate(network: Network<RowFeatures>, rows: PreparedRows, step: RowStep): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < rows.features.length; i++) {
    loss += step.run(network, rows, i, 0);
    if (step.predicted() === goldIndex(rows, i)) correct += 1;
  }
  return { loss: loss / rows.features.length, accuracy: correct / rows.features.length };
}

function softmaxInto(logits: Float64Array, out: Float64Array): void {
  let max = -Infinity;
  for (const z of logits) max = Math.max(max, z);
  let sum = 0;
  for (let c = 0; c < logits.length; c++) sum += out[c] = Math.exp(logits[c]! - max);
  for (let c = 0; c < logits.length; c++) out[c]! /= sum;
}

function defaultFeaturizer(family: TrainableFamily, rows: readonly TrainingRow[]): FeaturizerConfig {
  if (family === 'text-fasttext') return DEFAULT_TEXT_FEATURIZER;
  const first = rows[0]!.input;
  if (!Array.isArray(first)) throw new TrainingDataError('training row 0: an image model needs an array of numbers');
  let maxAbs = 0;
  for (const row of rows) if (Array.isArray(row.input)) for (const v of row.input) if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  return FeaturizerSchema.parse({ kind: 'pixels', shape: [first.length], scale: maxAbs > 0 && Number.isFinite(maxAbs) ? 1 / maxAbs : 1 });
}

function initialWeights(family: TrainableFamily, featurizer: FeaturizerConfig, classes: number, hyper: HyperParameters, random: SeededRandom): ClassifierWeights {
  if (family === 'text-fasttext') {
    if (featurizer.kind !== 'hashed-ngrams') throw new TrainingDataError(`text-fasttext needs a hashed-ngrams featurizer, got "${featurizer.kind}"`);
    return initTextWeights(featurizer.buckets, hyper.embeddingDim, classes, random);
  }
  if (featurizer.kind !== 'pixels') throw new TrainingDataError(`image-mlp needs a pixels featurizer, got "${featurizer.kind}"`);
  const width = featurizer.shape.reduce((a, b) => a * b, 1);
  return initMlpWeights([width, ...hyper.hidden, classes], random);
}

/** A copy of the starting weights, after checking they fit the featurizer and the label count. */
function checkedCopy(init: ClassifierWeights, family: TrainableFamily, featurizer: FeaturizerConfig, classes: number): ClassifierWeights {
  if (init.family !== family) throw new TrainingDataError(`initial weights are ${init.family}, not ${family}`);
  if (classCount(init) !== classes) throw new TrainingDataError(`initial weights predict ${classCount(init)} classes, but there are ${classes} labels`);
  const inputs = init.family === 'text-fasttext' ? init.embedding.dims[0] : init.layers[0]!.weight.dims[0];
  const expected = featurizer.kind === 'hashed-ngrams' ? featurizer.buckets : featurizer.kind === 'pixels' ? featurizer.shape.reduce((a, b) => a * b, 1) : -1;
  if (inputs !== expected) throw new TrainingDataError(`initial weights take ${inputs} inputs, but the ${featurizer.kind} featurizer gives ${expected}`);
  return cloneWeights(init);
}
