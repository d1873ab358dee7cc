import { softmax } from '@datashunt/algorithms';
import { FeaturizerSchema } from '@datashunt/contracts';
import { HyperParameterError, TrainingDataError } from './errors.js';
import { SeededRandom } from './random.js';
import { createNetwork, predictProbabilities } from './row-features.js';
import { trainClassifier, type TrainClassifierArgs } from './trainer.js';
import type { TrainingRow } from './training-data.js';
import { initMlpWeights, initTextWeights, tensorsOf, type ClassifierWeights } from './weights.js';

const LABELS = ['pos', 'neg'];
const POS = ['great', 'tasty', 'love', 'fresh', 'excellent'];
const NEG = ['awful', 'stale', 'bad', 'worst', 'bland'];
const FILLER = ['the', 'coffee', 'was', 'really', 'box', 'it'];

/** Sentences of filler words plus one or two sentiment words; the label follows the sentiment words. */
function textRows(n: number, seed: number): TrainingRow[] {
  const random = new SeededRandom(seed);
  const pick = (words: string[]) => words[Math.floor(random.next() * words.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 ? 'neg' : 'pos';
    const words = [pick(FILLER), pick(label === 'pos' ? POS : NEG), pick(FILLER), pick(FILLER)];
    return { input: words.join(' '), label };
  });
}

/** Two Gaussian blobs in 4 dimensions. */
function pixelRows(n: number, seed: number): TrainingRow[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 ? 'neg' : 'pos';
    const centre = label === 'pos' ? 1 : -1;
    return { input: [0, 1, 2, 3].map(() => centre + random.uniform(-0.8, 0.8)), label };
  });
}

const small = FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: 512, maxTokens: 32, ngrams: 2 });
const text = (over: Partial<TrainClassifierArgs> = {}): TrainClassifierArgs => ({
  family: 'text-fasttext',
  labels: LABELS,
  train: textRows(200, 1),
  validation: textRows(60, 2),
  featurizer: small,
  hyper: { embeddingDim: 8, epochs: 15, seed: 7, learningRate: 0.02 },
  ...over,
});

describe('gradients', () => {
  // Central differences of the loss (CE for a hard label, KL for a soft target) against backward().
  function checkGradients(weights: ClassifierWeights, x: Int32Array | Float32Array, target: number[]): void {
    const net = createNetwork(weights, true);
    const logits = new Float64Array(2);
    const loss = () => {
      net.forward(x, logits);
      const p = softmax(logits);
      return target.reduce((s, q, c) => s + (q > 0 ? q * Math.log(q / p[c]!) : 0), 0);
    };
    net.forward(x, logits);
    const p = softmax(logits);
    net.backward(x, Float64Array.from(p, (pc, c) => pc - target[c]!));
    let checked = 0;
    for (const param of net.params) {
      for (let i = 0; i < param.value.length; i += Math.max(1, Math.floor(param.value.length / 40))) {
        if (param.grad[i] === 0 && param.value.length > 1000) continue; // untouched embedding rows
        const keep = param.value[i]!;
        const h = 1e-2;
        param.value[i] = keep + h;
        const up = loss();
        param.value[i] = keep - h;
        const down = loss();
        param.value[i] = keep;
        expect(param.grad[i]!).toBeCloseTo((up - down) / (2 * h), 3);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  }

  it('match finite differences for the MLP, hard and soft targets', () => {
    const w = initMlpWeights([4, 5, 3, 2], new SeededRandom(3));
    checkGradients(w, Float32Array.from([0.5, -1, 0, 2]), [0, 1]);
    checkGradients(w, Float32Array.from([1.5, 0.2, -0.3, 0.7]), [0.3, 0.7]);
  });

  it('match finite differences for the text model, repeated ids included', () => {
    const w = initTextWeights(50, 4, 2, new SeededRandom(4));
    // The default initialisation keeps embeddings tiny; larger values exercise every term.
    for (const t of tensorsOf(w)) t.data.forEach((_, i) => (t.data[i] = Math.sin(i + t.data.length)));
    checkGradients(w, Int32Array.from([3, 17, 3, 49]), [1, 0]);
    checkGradients(w, Int32Array.from([0, 8]), [0.25, 0.75]);
  });
});

describe('trainClassifier', () => {
  it('learns the text task: loss falls and validation accuracy is high', () => {
    const result = trainClassifier(text());
    const losses = result.history.map((h) => h.trainLoss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 2);
    expect(result.history[result.bestEpoch - 1]!.validationAccuracy).toBeGreaterThan(0.95);
  });

  it('learns the pixel task with Adam and with SGD + momentum', () => {
    for (const optimizer of ['adam', 'sgd'] as const) {
      const result = trainClassifier({ family: 'image-mlp', labels: LABELS, train: pixelRows(200, 1), validation: pixelRows(50, 2), hyper: { hidden: [8], optimizer, learningRate: optimizer === 'sgd' ? 0.05 : 0.01, seed: 2 } });
      expect(result.history[result.bestEpoch - 1]!.validationAccuracy).toBeGreaterThan(0.95);
    }
  });

  it('trains on batches mixing hard labels and soft targets', () => {
    // Soft rows say "mostly pos" for texts with a positive word; the model must follow them.
    const rows = textRows(200, 3).map((r, i) => (i % 2 === 0 && r.label === 'pos' ? { input: r.input, target: [0.8, 0.2] } : r));
    const result = trainClassifier(text({ train: rows, hyper: { embeddingDim: 8, epochs: 30, seed: 1, learningRate: 0.02, patience: 30 } }));
    const [p] = predictProbabilities(result.weights, result.featurizer, ['the great coffee']);
    expect(p![0]!).toBeGreaterThan(0.6);
    expect(result.history.at(-1)!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
  });

  it('is reproducible for a seed', () => {
    const a = trainClassifier(text({ hyper: { embeddingDim: 8, epochs: 3, seed: 5 } }));
    const b = trainClassifier(text({ hyper: { embeddingDim: 8, epochs: 3, seed: 5 } }));
    const c = trainClassifier(text({ hyper: { embeddingDim: 8, epochs: 3, seed: 6 } }));
    expect(tensorsOf(a.weights).map((t) => t.data)).toEqual(tensorsOf(b.weights).map((t) => t.data));
    expect(tensorsOf(a.weights)[1]!.data).not.toEqual(tensorsOf(c.weights)[1]!.data);
  });

  it('stops early and keeps the best epoch when validation loss stops improving', () => {
    // A validation set with flipped labels gets worse as training succeeds.
    const flipped = textRows(60, 2).map((r) => ({ ...r, label: r.label === 'pos' ? 'neg' : 'pos' }));
    const result = trainClassifier(text({ validation: flipped, hyper: { embeddingDim: 8, epochs: 20, patience: 2, seed: 7, learningRate: 0.02 } }));
    expect(result.bestEpoch).toBe(1);
    expect(result.history).toHaveLength(3);
  });

  it('holds out a validation split when none is given', () => {
    const result = trainClassifier(text({ validation: undefined, hyper: { embeddingDim: 8, epochs: 2, validationFraction: 0.25 } }));
    expect(result.history[0]!.validationAccuracy).not.toBeNull();
  });

  it('starts from given weights without modifying them (2CD copies F_s1 into F_s2)', () => {
    const parent = trainClassifier(text({ hyper: { embeddingDim: 8, epochs: 3 } })).weights;
    const before = tensorsOf(parent).map((t) => t.data.slice());
    const child = trainClassifier(text({ init: parent, train: textRows(20, 9), hyper: { embeddingDim: 8, epochs: 1, learningRate: 1e-9 } }));
    expect(tensorsOf(parent).map((t) => t.data)).toEqual(before);
    tensorsOf(child.weights).forEach((t, k) => t.data.forEach((v, i) => expect(Math.abs(v - before[k]![i]!)).toBeLessThan(1e-6)));
  });

  it.each([
    ['an empty training set', { train: [] }, 'the training set is empty'],
    ['a class absent from the data', { train: textRows(20, 1).filter((r) => r.label === 'pos') }, 'class "neg" never occurs in the training data'],
    ['an unknown label', { train: [{ input: 'x', label: 'maybe' }] }, 'training row 0: label "maybe" is not one of ["pos","neg"]'],
    ['a row without label or target', { train: [{ input: 'x' }] }, 'training row 0 has neither a label nor a target'],
    ['a target of the wrong width', { train: [{ input: 'x', target: [1] }] }, 'training row 0: target has 1 probabilities for 2 labels'],
    ['a target that is not a distribution', { train: [{ input: 'x', target: [0.5, 0.9] }] }, 'training row 0: target sums to 1.4, not 1'],
    ['duplicate labels', { labels: ['a', 'a'] }, 'labels must be at least two distinct names'],
    ['NaN in a pixel row', { family: 'image-mlp' as const, featurizer: undefined, train: [{ input: [1, 2], label: 'pos' }, { input: [NaN, 1], label: 'neg' }] }, 'training set: row 1: value 0 is NaN'],
    ['text rows for an image model', { family: 'image-mlp' as const, featurizer: undefined }, 'training row 0: an image model needs an array of numbers'],
  ])('refuses %s with a TrainingDataError', (_, over, message) => {
    expect(() => trainClassifier(text(over as Partial<TrainClassifierArgs>))).toThrow(TrainingDataError);
    expect(() => trainClassifier(text(over as Partial<TrainClassifierArgs>))).toThrow(message);
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be a positive integer, got 0'],
    [{ epochs: 1.5 }, 'epochs must be a positive integer, got 1.5'],
    [{ hidden: [16, 0] }, 'hidden[1] must be a positive integer, got 0'],
    [{ learningRate: -1 }, 'learningRate must be a positive number, got -1'],
    [{ validationFraction: 1 }, 'validationFraction must be in [0, 1), got 1'],
  ])('refuses hyper-parameters %j', (hyper, message) => {
    expect(() => trainClassifier(text({ hyper: hyper as never }))).toThrow(new HyperParameterError(message));
  });

  it('refuses starting weights that do not fit', () => {
    const init = initTextWeights(512, 8, 3, new SeededRandom(1));
    expect(() => trainClassifier(text({ init }))).toThrow('initial weights predict 3 classes, but there are 2 labels');
  });
});
