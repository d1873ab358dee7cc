import type { SeededRandom } from './random.js';

/** A named float tensor: how weights travel between trainer, ONNX initializers and back. */
export interface NamedTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** fastText: embedding bag over hashed n-gram buckets, then one linear layer. */
export interface TextWeights {
  family: 'text-fasttext';
  embedding: NamedTensor; // [buckets, dim]
  weight: NamedTensor; // [dim, classes]
  bias: NamedTensor; // [classes]
}

/** Dense layers with ReLU between them; weight i is [inputs, outputs] (row-major, as ONNX Gemm reads it). */
export interface MlpWeights {
  family: 'image-mlp';
  layers: Array<{ weight: NamedTensor; bias: NamedTensor }>;
}

export type ClassifierWeights = TextWeights | MlpWeights;
export type TrainableFamily = ClassifierWeights['family'];

export function initTextWeights(buckets: number, dim: number, classes: number, random: SeededRandom): TextWeights {
  // fastText's initialisation: small uniform embeddings; the output layer gets Xavier so no symmetry to break.
  return {
    family: 'text-fasttext',
    embedding: tensor('embedding', [buckets, dim], (n) => uniformArray(n, 1 / dim, random)),
    weight: tensor('linear.weight', [dim, classes], (n) => uniformArray(n, Math.sqrt(6 / (dim + classes)), random)),
    bias: tensor('linear.bias', [classes], (n) => new Float32Array(n)),
  };
}

export function initMlpWeights(sizes: number[], random: SeededRandom): MlpWeights {
  return {
    family: 'image-mlp',
    layers: sizes.slice(1).map((outputs, i) => {
      const inputs = sizes[i]!;
      // He initialisation suits the ReLU layers; the same bound is fine for the last (softmax) layer.
      return {
        weight: tensor(`dense${i}.weight`, [inputs, outputs], (n) => uniformArray(n, Math.sqrt(6 / inputs), random)),
        bias: tensor(`dense${i}.bias`, [outputs], (n) => new Float32Array(n)),
      };
    }),
  };
}

/** Every tensor of the weights, in a fixed order (export order, optimizer order). */
export function tensorsOf(weights: ClassifierWeights): NamedTensor[] {
  if (weights.family === 'text-fasttext') return [weights.embedding, weights.weight, weights.bias];
  return weights.layers.flatMap((l) => [l.weight, l.bias]);
}

/** Rebuilds weights of `family` from named tensors (e.g. ONNX initializers); throws on a missing one. */
export function weightsFromTensors(family: TrainableFamily, byName: Map<string, NamedTensor>): ClassifierWeights {
  const need = (name: string): NamedTensor => {
    const t = byName.get(name);
    if (!t) throw new Error(`weights have no tensor "${name}"`);
    return t;
  };
  if (family === 'text-fasttext') {
    return { family, embedding: need('embedding'), weight: need('linear.weight'), bias: need('linear.bias') };
  }
  const layers: MlpWeights['layers'] = [];
  for (let i = 0; byName.has(`dense${i}.weight`); i++) layers.push({ weight: need(`dense${i}.weight`), bias: need(`dense${i}.bias`) });
  if (layers.length === 0) throw new Error('weights have no dense layers');
  return { family, layers };
}

export function cloneWeights<W extends ClassifierWeights>(weights: W): W {
  const copy = (t: NamedTensor): NamedTensor => ({ name: t.name, dims: [...t.dims], data: t.data.slice() });
  if (weights.family === 'text-fasttext') {
    return { ...weights, embedding: copy(weights.embedding), weight: copy(weights.weight), bias: copy(weights.bias) };
  }
  return { ...weights, layers: weights.layers.map((l) => ({ weight: copy(l.weight), bias: copy(l.bias) })) };
}

/** Number of classes the weights predict. */
export function classCount(weights: ClassifierWeights): number {
  return weights.family === 'text-fasttext' ? weights.bias.dims[0]! : weights.layers[weights.layers.length - 1]!.bias.dims[0]!;
}

function tensor(name: string, dims: number[], make: (n: number) => Float32Array): NamedTensor {
  return { name, dims, data: make(dims.reduce((a, b) => a * b, 1)) };
}

function uniformArray(n: number, bound: number, random: SeededRandom): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = random.uniform(-bound, bound);
  return out;
}
