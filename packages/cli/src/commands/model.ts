import { FeaturizerSchema, ModelRoleSchema, parseObjectUri, type FeaturizerConfig, type ModelRole } from '@datashunt/contracts';
import { loadConfig, s3OptionsOf } from '@datashunt/runtime';
import {
  evaluateProbabilities,
  ModelRegistry,
  parseLabelledJsonl,
  Scorer,
  SmallModelError,
  trainAndRegister,
  type ClassifierEvaluation,
  type HyperParameters,
  type LabelledRow,
} from '@datashunt/small-models';
import { createS3Client, ensureBucket, getBytes } from '@datashunt/storage';
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { smallAloneSummary } from '../small-alone.js';
import { table } from '../text-table.js';
import { CommandError, dispatch, UsageError, type Subcommand } from '../subcommands.js';

const USAGE = `usage: datashunt model <command> [options]
  train    --name N --family text-fasttext|image-mlp --train DATA [--validation DATA] [--labels a,b]
           [--task T] [--epochs N] [--batch-size N] [--learning-rate X] [--optimizer adam|sgd] [--seed N]
           [--embedding-dim N] [--hidden 128,64] [--buckets N] [--max-tokens N] [--ngrams N]
           [--shape 28,28] [--scale X] [--target-accuracy X] [--no-promote]
  register --name N --onnx FILE --labels a,b --featurizer JSON|@FILE --output NAME --output-kind logits|probabilities
           [--task T] [--role specific|learnable] [--parent VERSION] [--vocab FILE] [--calibrated-delta X (small model alone)] [--promote]
  list     [--name N] [--json]   versions, the current ones, and 2CD candidates the promotion gate kept back (with its reason)
  promote  --name N --role specific|learnable --version V
  eval     --name N (--version V | --role R, default specific) --data DATA [--json]
DATA is a labelled JSONL file ({id, input: string | number[], label} per line) on disk or s3://bucket/key.
S3 settings come from S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET, S3_FORCE_PATH_STYLE.`;

/** A refusal worth one line on stderr rather than a stack trace: exit code 1. */


const SUBCOMMANDS: Record<string, Subcommand> = { train, register, list, promote, eval: evaluate };

/** `datashunt model ...`: train, register, list, promote and evaluate small models; returns the exit code. */
export function modelCommand(argv: string[]): Promise<number> {
  return dispatch('model', USAGE, SUBCOMMANDS, argv, (error) => error instanceof SmallModelError);
}

async function train(argv: string[]): Promise<number> {
  const o = options(argv, {
    name: str, family: str, train: str, validation: str, labels: str, task: str, epochs: str, 'batch-size': str, 'learning-rate': str,
    optimizer: str, seed: str, 'embedding-dim': str, hidden: str, buckets: str, 'max-tokens': str, ngrams: str, shape: str, scale: str,
    'target-accuracy': str, 'no-promote': bool,
  });
  const family = required(o, 'family');
  if (family !== 'text-fasttext' && family !== 'image-mlp') throw new UsageError(`--family must be text-fasttext or image-mlp, got "${family}"`);
  const { s3, bucket, registry } = await openRegistry();
  const trainRows = await readRows(required(o, 'train'), s3, bucket);
  const validation = o.validation ? await readRows(o.validation, s3, bucket) : undefined;
  const labels = o.labels ? csv(o.labels) : [...new Set(trainRows.map((r) => r.label))].sort();
  const featurizer = featurizerOf(family, o);
  const { meta, evaluation, trained } = await trainAndRegister({
    registry,
    name: required(o, 'name'),
    family,
    labels,
    train: trainRows,
    ...(validation ? { validation } : {}),
    ...(o.task ? { task: o.task } : {}),
    ...(featurizer ? { featurizer } : {}),
    hyper: hyperOf(o),
    ...(o['target-accuracy'] ? { targetAccuracy: num(o['target-accuracy'], 'target-accuracy') } : {}),
    promote: !o['no-promote'],
    onEpoch: (s) => console.error(`epoch ${s.epoch}: train loss ${s.trainLoss.toFixed(4)}, validation loss ${s.validationLoss?.toFixed(4) ?? '-'}, accuracy ${s.validationAccuracy?.toFixed(4) ?? '-'} (${s.seconds.toFixed(2)} s)`),
  });
  console.error(`kept epoch ${trained.bestEpoch}; registered ${meta.name} ${meta.version} as ${meta.role}${o['no-promote'] ? '' : ' (promoted)'}`);
  console.log(formatEvaluation(evaluation, `validation (${evaluation.rows} rows)`));
  console.log(smallAloneSummary(meta));
  return 0;
}

async function register(argv: string[]): Promise<number> {
  const o = options(argv, {
    name: str, onnx: str, labels: str, featurizer: str, output: str, 'output-kind': str, task: str, role: str, parent: str, vocab: str,
    'calibrated-delta': str, promote: bool,
  });
  const featurizerText = required(o, 'featurizer');
  const featurizer = parseFeaturizer(featurizerText.startsWith('@') ? (await readLocal(featurizerText.slice(1))).toString('utf8') : featurizerText);
  const kind = required(o, 'output-kind');
  if (kind !== 'logits' && kind !== 'probabilities') throw new UsageError(`--output-kind must be logits or probabilities, got "${kind}"`);
  const extraFiles: Record<string, Uint8Array> = {};
  if (featurizer.kind === 'vocab-tokens') extraFiles[featurizer.vocabKey] = await readLocal(required(o, 'vocab'));
  const { registry } = await openRegistry();
  const meta = await registry.register({
    onnx: await readLocal(required(o, 'onnx')),
    meta: {
      name: required(o, 'name'),
      task: o.task ?? required(o, 'name'),
      labels: csv(required(o, 'labels')),
      role: roleOf(o.role),
      family: 'external',
      featurizer,
      output: { name: required(o, 'output'), kind },
      parentVersion: o.parent ?? null,
      trainingDataDigest: null,
      validation: null,
      calibratedDelta: o['calibrated-delta'] ? num(o['calibrated-delta'], 'calibrated-delta') : null,
    },
    promote: Boolean(o.promote),
    extraFiles,
  });
  console.log(`registered ${meta.name} ${meta.version} as ${meta.role}${o.promote ? ' (promoted)' : ''}`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const o = options(argv, { name: str, json: bool });
  const { registry } = await openRegistry();
  const entries = await registry.list(o.name);
  if (o.json) {
    console.log(JSON.stringify(entries, null, 2));
    return 0;
  }
  const rows = entries.map(({ meta, current }) => [
    meta.name, meta.version, meta.role, meta.family, meta.labels.length, meta.validation?.accuracy?.toFixed(4) ?? '-',
    meta.calibratedDelta ?? '-', meta.parentVersion ?? '-', meta.promotion ? (meta.promotion.promoted ? 'promoted' : 'candidate') : '-', current.join(',') || '-',
  ]);
  console.log(table(['name', 'version', 'role', 'family', 'classes', 'val.acc', 'alone.delta', 'parent', 'gate', 'current'], rows));
  // A candidate's reason carries both numbers of the gate (DS+ with and without it on held-out rows).
  for (const { meta } of entries) if (meta.promotion && !meta.promotion.promoted) console.log(`candidate ${meta.name} ${meta.version}: ${meta.promotion.reason}`);
  return 0;
}

async function promote(argv: string[]): Promise<number> {
  const o = options(argv, { name: str, role: str, version: str });
  const { registry } = await openRegistry();
  const [name, role, version] = [required(o, 'name'), roleOf(required(o, 'role')), required(o, 'version')];
  const previous = await registry.current(name, role);
  await registry.promote(name, role, version);
  console.log(`${name} ${role}: ${previous ?? '(none)'} -> ${version}`);
  return 0;
}

async function evaluate(argv: string[]): Promise<number> {
  const o = options(argv, { name: str, version: str, role: str, data: str, json: bool });
  const { s3, bucket, registry } = await openRegistry();
  const name = required(o, 'name');
  const role = roleOf(o.role);
  const version = o.version ?? (await registry.current(name, role));
  if (!version) throw new UsageError(`model ${name} has no ${role} version; pass --version`);
  const rows = await readRows(required(o, 'data'), s3, bucket);
  const scorer = await Scorer.load(registry, name, version, { executionProviders: ['cpu'] });
  try {
    const index = new Map(scorer.meta.labels.map((l, i) => [l, i]));
    const gold = rows.map((r) => {
      const k = index.get(r.label);
      if (k === undefined) throw new UsageError(`row ${r.id}: label "${r.label}" is not one of the model's labels ${JSON.stringify(scorer.meta.labels)}`);
      return k;
    });
    const evaluation = evaluateProbabilities(await scorer.score(rows.map((r) => r.input)), gold, scorer.meta.labels);
    console.log(o.json ? JSON.stringify({ name, version, ...evaluation }, null, 2) : formatEvaluation(evaluation, `${name} ${version} on ${o.data} (${rows.length} rows)`));
  } finally {
    await scorer.release();
  }
  return 0;
}

function formatEvaluation(e: ClassifierEvaluation, title: string): string {
  const perClass = Object.entries(e.perClass).map(([label, c]) => [label, c.total, c.correct, c.accuracy?.toFixed(4) ?? '-']);
  const bins = e.reliability.map((b) => [`${b.lower.toFixed(1)}-${b.upper.toFixed(1)}`, b.count, b.meanConfidence?.toFixed(4) ?? '-', b.accuracy?.toFixed(4) ?? '-']);
  return [
    title,
    `accuracy ${e.accuracy.toFixed(4)}   expected calibration error ${e.ece.toFixed(4)}`,
    '',
    table(['class', 'rows', 'correct', 'accuracy'], perClass),
    '',
    table(['confidence', 'rows', 'mean conf.', 'accuracy'], bins),
  ].join('\n');
}

type S3Client = ReturnType<typeof createS3Client>;

async function openRegistry(): Promise<{ s3: S3Client; bucket: string; registry: ModelRegistry }> {
  const config = loadConfig();
  const s3 = createS3Client(s3OptionsOf(config));
  await ensureBucket(s3, config.S3_BUCKET);
  return { s3, bucket: config.S3_BUCKET, registry: new ModelRegistry(s3, config.S3_BUCKET) };
}

async function readRows(source: string, s3: S3Client, bucket: string): Promise<LabelledRow[]> {
  const bytes = source.startsWith('s3://') ? await getBytes(s3, s3Location(source, bucket)).catch(cannotRead(source)) : await readLocal(source);
  return parseLabelledJsonl(bytes.toString('utf8'), source);
}

function s3Location(uri: string, bucket: string) {
  const parsed = parseObjectUri(uri, bucket);
  if (!parsed.ok) throw new CommandError(parsed.message);
  return parsed.value;
}

async function readLocal(path: string): Promise<Buffer> {
  return readFile(path).catch(cannotRead(path));
}

function cannotRead(source: string) {
  return (error: Error): never => {
    throw new CommandError(`cannot read ${source}: ${error.message}`);
  };
}

function parseFeaturizer(text: string): FeaturizerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--featurizer is not JSON: ${(error as Error).message}`);
  }
  const parsed = FeaturizerSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--featurizer is not a featurizer spec: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function featurizerOf(family: string, o: Flags): FeaturizerConfig | undefined {
  if (family === 'text-fasttext' && (o.buckets || o['max-tokens'] || o.ngrams)) {
    return FeaturizerSchema.parse({
      kind: 'hashed-ngrams',
      buckets: o.buckets ? num(o.buckets as string, 'buckets') : 1 << 17,
      maxTokens: o['max-tokens'] ? num(o['max-tokens'] as string, 'max-tokens') : 256,
      ngrams: o.ngrams ? num(o.ngrams as string, 'ngrams') : 2,
    });
  }
  if (family === 'image-mlp' && (o.shape || o.scale)) {
    if (!o.shape) throw new UsageError('--scale needs --shape');
    return FeaturizerSchema.parse({ kind: 'pixels', shape: csv(o.shape as string).map((d) => num(d, 'shape')), scale: o.scale ? num(o.scale as string, 'scale') : 1 });
  }
  return undefined;
}

function hyperOf(o: Flags): Partial<HyperParameters> {
  const hyper: Partial<HyperParameters> = {};
  const numeric = { epochs: 'epochs', 'batch-size': 'batchSize', 'learning-rate': 'learningRate', seed: 'seed', 'embedding-dim': 'embeddingDim' } as const;
  for (const [flag, key] of Object.entries(numeric)) if (o[flag]) hyper[key] = num(o[flag] as string, flag);
  if (o.optimizer) {
    if (o.optimizer !== 'adam' && o.optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, got "${o.optimizer}"`);
    hyper.optimizer = o.optimizer;
  }
  if (o.hidden) hyper.hidden = csv(o.hidden as string).map((h) => num(h, 'hidden'));
  return hyper;
}

type Flags = Record<string, string | boolean | undefined>;

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

function options<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], spec: T) {
  return parseArgs({ args: argv, options: spec, strict: true }).values;
}

function required(o: Record<string, unknown>, flag: string): string {
  const value = o[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

function roleOf(value: string | undefined): ModelRole {
  const parsed = ModelRoleSchema.safeParse(value ?? 'specific');
  if (!parsed.success) throw new UsageError(`--role must be specific or learnable, got "${value}"`);
  return parsed.data;
}

function num(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${value}"`);
  return n;
}

function csv(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
