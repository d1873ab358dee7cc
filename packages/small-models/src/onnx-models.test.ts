import { FeaturizerSchema, type ModelMeta } from '@datashunt/contracts';
import onnxProto from 'onnx-proto';
import { InvalidOnnxError, SignatureMismatchError } from './errors.js';
import { exportOnnx, PROBABILITIES_OUTPUT, readOnnxWeights } from './onnx-graph.js';
import { SeededRandom } from './random.js';
import { predictProbabilities } from './row-features.js';
import { Scorer } from './scorer.js';
import { trainClassifier } from './trainer.js';
import { initMlpWeights, initTextWeights, tensorsOf, type ClassifierWeights } from './weights.js';

const { onnx } = onnxProto;
const CPU = { executionProviders: ['cpu'] };

function metaFor(over: Partial<ModelMeta>): ModelMeta {
  return {
    name: 'm', version: 'v1', task: 't', labels: ['a', 'b', 'c'], role: 'specific', family: 'external',
    featurizer: FeaturizerSchema.parse({ kind: 'pixels', shape: [4] }),
    output: { name: PROBABILITIES_OUTPUT, kind: 'probabilities' },
    parentVersion: null, trainingDataDigest: null, validation: null, calibratedDelta: null, createdAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

const textFeaturizer = FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: 997, maxTokens: 24, ngrams: 2 });
const pixelFeaturizer = FeaturizerSchema.parse({ kind: 'pixels', shape: [3, 4], scale: 0.1 });

/** Weights with large, varied values so parity is tested away from the near-uniform initial outputs. */
function spread(weights: ClassifierWeights): ClassifierWeights {
  const random = new SeededRandom(11);
  for (const t of tensorsOf(weights)) t.data.forEach((_, i) => (t.data[i] = random.uniform(-2, 2)));
  return weights;
}

async function expectParity(weights: ClassifierWeights, featurizer: typeof textFeaturizer, inputs: Array<string | number[]>): Promise<void> {
  const labels = ['a', 'b', 'c'];
  const meta = metaFor({ family: weights.family, featurizer, labels });
  const scorer = await Scorer.fromBytes(exportOnnx(weights, featurizer, labels), meta, { ...CPU, batchSize: 3 });
  const fromOnnx = await scorer.score(inputs);
  const fromTrainer = predictProbabilities(weights, featurizer, inputs);
  expect(fromOnnx).toHaveLength(inputs.length);
  fromOnnx.forEach((p, i) => p.forEach((v, c) => expect(Math.abs(v - fromTrainer[i]![c]!)).toBeLessThan(1e-5)));
  await scorer.release();
}

describe('ONNX export', () => {
  it('gives the trainer forward pass probabilities for the text model (1e-5), empty and long rows included', async () => {
    const random = new SeededRandom(2);
    const inputs = ['', 'Great coffee!', 'stale, bland and bad', ...Array.from({ length: 7 }, (_, i) => Array.from({ length: 5 + i * 4 }, () => `w${Math.floor(random.next() * 50)}`).join(' '))];
    await expectParity(spread(initTextWeights(997, 6, 3, random)), textFeaturizer, inputs);
  });

  it('gives the trainer forward pass probabilities for the MLP (1e-5)', async () => {
    const random = new SeededRandom(3);
    const inputs = Array.from({ length: 8 }, () => Array.from({ length: 12 }, () => random.uniform(0, 10)));
    await expectParity(spread(initMlpWeights([12, 7, 5, 3], random)), pixelFeaturizer as never, inputs);
  });

  it('matches a trained model too, and its weights read back exactly from the initializers', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ input: `${['good', 'bad', 'meh'][i % 3]} item ${i}`, label: ['a', 'b', 'c'][i % 3]! }));
    const trained = trainClassifier({ family: 'text-fasttext', labels: ['a', 'b', 'c'], train: rows, featurizer: textFeaturizer, hyper: { embeddingDim: 5, epochs: 5 } });
    await expectParity(trained.weights, textFeaturizer, rows.slice(0, 9).map((r) => r.input));
    const back = readOnnxWeights(exportOnnx(trained.weights, textFeaturizer, ['a', 'b', 'c']), 'text-fasttext');
    expect(tensorsOf(back)).toEqual(tensorsOf(trained.weights));
  });
});

describe('loading and checking models', () => {
  const good = () => exportOnnx(initMlpWeights([4, 3], new SeededRandom(1)), metaFor({}).featurizer, ['a', 'b', 'c']);

  it('refuses corrupt and truncated ONNX bytes with InvalidOnnxError', async () => {
    const bytes = good();
    await expect(Scorer.fromBytes(bytes.slice(0, bytes.length - 7), metaFor({}), CPU)).rejects.toThrow(InvalidOnnxError);
    await expect(Scorer.fromBytes(new TextEncoder().encode('not a model'), metaFor({}), CPU)).rejects.toThrow(/cannot load the ONNX model/);
    expect(() => readOnnxWeights(new Uint8Array([0xff, 0xff, 0xff]), 'image-mlp')).toThrow(InvalidOnnxError);
  });

  it('refuses a label list that does not match the output width', async () => {
    await expect(Scorer.fromBytes(good(), metaFor({ labels: ['a', 'b'] }), CPU)).rejects.toThrow(
      new SignatureMismatchError('model does not match its spec: output "probabilities" has 3 classes but the label list has 2'),
    );
  });

  it('checks a symbolic output width with a probe run', async () => {
    const bytes = byoModel({ outputDims: ['batch', 'classes'] });
    await expect(Scorer.fromBytes(bytes, metaFor({ labels: ['a', 'b'], output: { name: 'scores', kind: 'logits' } }), CPU)).rejects.toThrow(
      'output "scores" has 3 classes but the label list has 2',
    );
  });

  it('lists every input and output problem in one message', async () => {
    const meta = metaFor({ featurizer: FeaturizerSchema.parse({ kind: 'pixels', shape: [5], inputName: 'image' }), output: { name: 'probs', kind: 'probabilities' } });
    await expect(Scorer.fromBytes(good(), meta, CPU)).rejects.toThrow(
      'model does not match its spec: the featurizer feeds input "image", which the model does not have (inputs: "pixels"); model input "pixels" is not fed by the pixels featurizer; output "probs" not found (outputs: "probabilities")',
    );
    const wrongShape = metaFor({ featurizer: FeaturizerSchema.parse({ kind: 'pixels', shape: [2, 2] }) });
    await expect(Scorer.fromBytes(good(), wrongShape, CPU)).rejects.toThrow('input "pixels" has shape [batch, 4]; expected 3 dimensions [batch, 2, 2]');
  });

  it('scores a bring-your-own vocab model that outputs logits, applying softmax', async () => {
    const meta = metaFor({
      labels: ['x', 'y', 'z'],
      featurizer: FeaturizerSchema.parse({ kind: 'vocab-tokens', vocabKey: 'vocab.txt', maxTokens: 8, inputName: 'input_ids', maskName: 'attention_mask' }),
      output: { name: 'scores', kind: 'logits' },
    });
    const scorer = await Scorer.fromBytes(byoModel({ outputDims: ['batch', 3] }), meta, CPU, '[PAD]\n[UNK]\nred\ngreen\n');
    const [p] = await scorer.score(['red green blue']);
    // Embedding row i is [i, 0, -i]: logits = sum over red(2), green(3), [UNK](1) = [6, 0, -6].
    const expected = [Math.exp(6), 1, Math.exp(-6)].map((v, _, a) => v / a.reduce((s, x) => s + x, 0));
    p!.forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 6));
    await scorer.release();
  });

  it('falls back to CPU with one warn line when CUDA is not in this build', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_: object, msg: string) => warnings.push(msg) };
    const scorer = await Scorer.fromBytes(good(), metaFor({}), { executionProviders: ['cuda', 'cpu'], logger });
    expect(scorer.provider).toBe('cpu');
    expect(warnings).toEqual(['execution provider cuda not available in this onnxruntime-node build; using cpu']);
    await expect(scorer.score([[1, NaN, 0, 0]])).rejects.toThrow('row 0: value 1 is NaN');
    await scorer.release();
  });
});

/**
 * A model as another tool would export it: int64 input_ids and attention_mask, logits = masked sum of
 * embeddings whose row i is [i, 0, -i], output "scores".
 */
function byoModel(options: { outputDims: Array<number | string> }): Uint8Array {
  const vocab = 4;
  const table = new Float32Array(vocab * 3);
  for (let i = 0; i < vocab; i++) table.set([i, 0, -i], i * 3);
  const dims = (d: Array<number | string>) => ({ dim: d.map((x) => (typeof x === 'number' ? { dimValue: x } : { dimParam: x })) });
  const info = (name: string, elemType: number, d: Array<number | string>) => ({ name, type: { tensorType: { elemType, shape: dims(d) } } });
  const INT64 = onnx.TensorProto.DataType.INT64;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const graph = onnx.GraphProto.create({
    name: 'byo',
    input: [info('input_ids', INT64, ['batch', 'seq']), info('attention_mask', INT64, ['batch', 'seq'])],
    output: [info('scores', FLOAT, options.outputDims)],
    initializer: [
      { name: 'table', dims: [vocab, 3], dataType: FLOAT, floatData: Array.from(table) },
      { name: 'last', dims: [1], dataType: INT64, int64Data: [-1] },
      { name: 'seq_axis', dims: [1], dataType: INT64, int64Data: [1] },
    ],
    node: [
      { opType: 'Gather', input: ['table', 'input_ids'], output: ['emb'] },
      { opType: 'Cast', input: ['attention_mask'], output: ['maskf'], attribute: [{ name: 'to', i: FLOAT, type: onnx.AttributeProto.AttributeType.INT }] },
      { opType: 'Unsqueeze', input: ['maskf', 'last'], output: ['mask3'] },
      { opType: 'Mul', input: ['emb', 'mask3'], output: ['masked'] },
      { opType: 'ReduceSum', input: ['masked', 'seq_axis'], output: ['scores'], attribute: [{ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT }] },
    ],
  });
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph }).finish();
}
