import { distillKeys, modelKeys } from '@datashunt/contracts';
import { createS3Client, ensureBucket, getJson, headObject, listObjects, readAllJsonl, startLocalS3, type LocalS3 } from '@datashunt/storage';
import {
  exportDistillationSet,
  exportOnnx,
  loadWeights,
  ModelRegistry,
  PromotedScorers,
  RegistryError,
  Scorer,
  SignatureMismatchError,
  InvalidOnnxError,
  tensorsOf,
  trainAndRegister,
  TrainingDataError,
  TRAINING_REPORT_FILE,
  type TrainingRow,
} from '@datashunt/small-models';
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LABELS = ['pos', 'neg'];
const featurizer = { kind: 'hashed-ngrams' as const, buckets: 2048, maxTokens: 32, ngrams: 2, lowercase: true, inputName: 'tokens', maskName: 'mask' };
const hyper = { embeddingDim: 8, epochs: 8, learningRate: 0.02 };

function rows(n: number, offset = 0): TrainingRow[] {
  return Array.from({ length: n }, (_, i) => {
    const pos = (i + offset) % 2 === 0;
    return { input: `${pos ? 'lovely tasty' : 'awful stale'} snack number ${i + offset}`, label: pos ? 'pos' : 'neg' };
  });
}

describe('small-model registry over the embedded S3 server', () => {
  let server: LocalS3;
  let dir: string;
  let s3: S3Client;
  let registry: ModelRegistry;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-models-'));
    server = await startLocalS3({ directory: dir });
    s3 = createS3Client({ endpoint: server.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    await ensureBucket(s3, 'models-test');
    registry = new ModelRegistry(s3, 'models-test');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function snapshot(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listObjects(s3, 'models-test', 'models/')) keys.push(`${o.key}@${o.etag}`);
    return keys.sort();
  }

  it('trains, registers, promotes and scores a specific model, then a learnable child from its weights', async () => {
    const { meta, evaluation } = await trainAndRegister({ registry, name: 'snacks', family: 'text-fasttext', labels: LABELS, train: rows(120), validation: rows(40, 1000), featurizer, hyper, targetAccuracy: 0.9 });
    expect(meta.version).toMatch(/^v\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    expect(meta).toMatchObject({ role: 'specific', parentVersion: null, family: 'text-fasttext', output: { name: 'probabilities', kind: 'probabilities' } });
    expect(meta.trainingDataDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta.validation).toMatchObject({ rows: 40, accuracy: evaluation.accuracy, ece: evaluation.ece });
    expect(evaluation.accuracy).toBeGreaterThan(0.9);
    expect(meta.calibratedDelta).toBeGreaterThanOrEqual(0.5);
    expect(await registry.current('snacks', 'specific')).toBe(meta.version);
    expect(JSON.parse((await registry.getExtra('snacks', meta.version, TRAINING_REPORT_FILE)).toString())).toMatchObject({ bestEpoch: expect.any(Number) });

    const scorer = await Scorer.load(registry, 'snacks', meta.version, { executionProviders: ['cpu'] });
    const [p] = await scorer.score(['lovely tasty thing']);
    expect(p![0]!).toBeGreaterThan(0.5);
    await scorer.release();

    // 2CD: F_s2 starts as a copy of F_s1 and learns from soft targets.
    const soft = rows(20, 5000).map((r) => ({ input: r.input, target: r.label === 'pos' ? [0.9, 0.1] : [0.2, 0.8] }));
    const child = await trainAndRegister({ registry, name: 'snacks', family: 'text-fasttext', labels: LABELS, train: soft, validation: rows(10, 7000), parentVersion: meta.version, hyper: { ...hyper, epochs: 1, learningRate: 1e-9 } });
    expect(child.meta).toMatchObject({ role: 'learnable', parentVersion: meta.version, featurizer: meta.featurizer });
    expect(await registry.current('snacks', 'learnable')).toBe(child.meta.version);
    expect(await registry.current('snacks', 'specific')).toBe(meta.version);
    const parentWeights = tensorsOf((await loadWeights(registry, 'snacks', meta.version)).weights);
    tensorsOf((await loadWeights(registry, 'snacks', child.meta.version)).weights).forEach((t, k) =>
      t.data.forEach((v, i) => expect(Math.abs(v - parentWeights[k]!.data[i]!)).toBeLessThan(1e-6)),
    );

    const listed = await registry.list('snacks');
    expect(listed.map((e) => [e.meta.version, e.current])).toEqual([[meta.version, ['specific']], [child.meta.version, ['learnable']]]);
    expect((await registry.list()).map((e) => e.meta.name)).toEqual(['snacks', 'snacks']);
  });

  it('refuses bad models and bad training data with typed errors, leaving the registry unchanged', async () => {
    const before = await snapshot();
    const { meta, onnx } = await registry.get('snacks', (await registry.current('snacks', 'specific'))!);
    const { version: _v, createdAt: _c, ...spec } = meta;
    await expect(registry.register({ onnx: onnx.slice(0, onnx.length >> 1), meta: spec, promote: true })).rejects.toThrow(InvalidOnnxError);
    await expect(registry.register({ onnx, meta: { ...spec, labels: ['pos', 'neg', 'meh'] }, promote: true })).rejects.toThrow(SignatureMismatchError);
    await expect(registry.register({ onnx, meta: { ...spec, parentVersion: 'v0-missing' } })).rejects.toThrow('parent version v0-missing of model snacks is not registered');
    await expect(registry.register({ onnx, meta: { ...spec, version: meta.version } })).rejects.toThrow(`model snacks version ${meta.version} is already registered`);
    await expect(registry.register({ onnx, meta: { ...spec, name: '../escape' } })).rejects.toThrow(RegistryError);
    const vocabSpec = { ...spec, family: 'external' as const, featurizer: { kind: 'vocab-tokens' as const, vocabKey: 'vocab.txt', maxTokens: 8, lowercase: true, unkToken: '[UNK]', padId: 0, inputName: 'tokens', maskName: 'mask' } };
    await expect(registry.register({ onnx, meta: vocabSpec })).rejects.toThrow('needs its vocabulary "vocab.txt" among the extra files');
    await expect(registry.promote('snacks', 'specific', 'v0-missing')).rejects.toThrow('cannot promote snacks v0-missing: no such version');
    const train = (t: TrainingRow[]) => trainAndRegister({ registry, name: 'snacks', family: 'text-fasttext', labels: LABELS, train: t, validation: rows(4), featurizer, hyper });
    await expect(train([])).rejects.toThrow(new TrainingDataError('the training set is empty'));
    await expect(train(rows(10).filter((r) => r.label === 'pos'))).rejects.toThrow('class "neg" never occurs in the training data');
    expect(await snapshot()).toEqual(before);
  });

  it('registers a bring-your-own model with its vocabulary file and scores it from the registry', async () => {
    const weights = (await loadWeights(registry, 'snacks', (await registry.current('snacks', 'specific'))!)).weights;
    const meta = await registry.register({
      onnx: exportOnnx(weights, featurizer, LABELS),
      meta: { name: 'byo', task: 'sentiment', labels: LABELS, role: 'specific', family: 'external', featurizer, output: { name: 'probabilities', kind: 'probabilities' }, parentVersion: null, trainingDataDigest: null, validation: null, calibratedDelta: 0.97 },
      extraFiles: { 'README.txt': Buffer.from('from elsewhere') },
    });
    expect(await registry.current('byo', 'specific')).toBeUndefined();
    await registry.promote('byo', 'specific', meta.version);
    expect(await getJson(s3, { bucket: 'models-test', key: modelKeys('byo').pointer('specific') })).toMatchObject({ version: meta.version });
    expect((await registry.getExtra('byo', meta.version, 'README.txt')).toString()).toBe('from elsewhere');
  });

  it('hands out the promoted version per shard and switches on promotion without a restart', async () => {
    const pool = new PromotedScorers(registry, { executionProviders: ['cpu'] });
    const first = (await pool.acquire('snacks', 'specific'))!;
    const next = await trainAndRegister({ registry, name: 'snacks', family: 'text-fasttext', labels: LABELS, train: rows(60, 3), validation: rows(20, 9000), featurizer, hyper: { ...hyper, epochs: 2 } });
    const second = (await pool.acquire('snacks', 'specific'))!;
    expect(second.scorer.version).toBe(next.meta.version);
    expect(first.scorer.version).not.toBe(next.meta.version);
    // The shard that started on the old version finishes on it.
    expect(await first.scorer.score(['lovely'])).toHaveLength(1);
    await first.release();
    await expect(first.scorer.score(['lovely'])).rejects.toThrow();
    expect(await pool.acquire('nothing-here', 'specific')).toBeUndefined();
    await second.release();
    await pool.close();
  });

  it('exports a distillation set with soft targets for an external trainer', async () => {
    const { key, count } = await exportDistillationSet(s3, 'models-test', {
      modelName: 'byo',
      labels: LABELS,
      stamp: '20261128T000000Z',
      rows: [
        { id: 'r1', input: 'good', target: [0.9, 0.1], source: 'large' },
        { id: 'r2', input: 'bad', target: [0.3, 0.7], source: 'specific' },
      ],
    });
    expect({ key, count }).toEqual({ key: distillKeys('byo').exportSet('20261128T000000Z'), count: 2 });
    const bad = exportDistillationSet(s3, 'models-test', { modelName: 'byo', labels: LABELS, stamp: 'bad', rows: [{ id: 'r3', input: 'x', target: [1] }] });
    await expect(bad).rejects.toThrow(new TrainingDataError('distillation row r3: target has 1 probabilities for 2 labels'));
    expect(await headObject(s3, { bucket: 'models-test', key: distillKeys('byo').exportSet('bad') })).toBeUndefined();
    expect(await readAllJsonl(s3, { bucket: 'models-test', key })).toEqual([
      { id: 'r1', input: 'good', target: { pos: 0.9, neg: 0.1 }, source: 'large' },
      { id: 'r2', input: 'bad', target: { pos: 0.3, neg: 0.7 }, source: 'specific' },
    ]);
  });
});
