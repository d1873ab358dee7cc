import { Option, type Command } from 'commander';
import { FeaturizerSchema, parseObjectUri, type FeaturizerConfig, type ModelRole } from '@datashunt/contracts';
import { loadConfig, s3OptionsOf } from '@datashunt/runtime';
import {
  evaluateProbabilities,
  ModelRegistry,
  parseLabelledJsonl,
  Scorer,
  trainAndRegister,
  type ClassifierEvaluation,
  type HyperParameters,
  type LabelledRow,
} from '@datashunt/small-models';
import { createS3Client, ensureBucket, getBytes } from '@datashunt/storage';
import { readFile } from 'node:fs/promises';
import { smallAloneSummary } from '../small-alone.js';
import { table } from '../text-table.js';
import { action, CommandError, UsageError } from '../command-errors.js';
import { integer, list as commaList, positiveInteger, positiveIntegers, positiveNumber, share } from '../option-values.js';

const DATA_HELP = 'DATA is a labelled JSONL file ({id, input: string | number[], label} per line) on disk or s3://bucket/key.';
const ROLES = ['specific', 'learnable'] as const;

/** `datashunt model ...`: train, register, list, promote and evaluate small models. */
export function addModelCommands(program: Command): void {
  const model = program
    .command('model')
    .summary('train | register | list | promote | eval small models')
    .description('train | register | list | promote | eval small models (S3 settings from S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET)');
  model
    .command('train')
    .description(`train a small model and register it (promoted unless --no-promote). ${DATA_HELP}`)
    .requiredOption('--name <name>', 'model name')
    .addOption(new Option('--family <family>', 'model family').choices(['text-fasttext', 'image-mlp']).makeOptionMandatory())
    .requiredOption('--train <data>', 'training rows (DATA)')
    .option('--validation <data>', 'validation rows (DATA); a split of --train otherwise')
    .option('--labels <a,b>', 'label order (default: the sorted labels of the training rows)', commaList)
    .option('--task <task>', 'task name (default: the model name)')
    .option('--epochs <n>', 'training epochs', positiveInteger)
    .option('--batch-size <n>', 'rows per batch', positiveInteger)
    .option('--learning-rate <x>', 'learning rate', positiveNumber)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']))
    .option('--seed <n>', 'random seed', integer)
    .option('--embedding-dim <n>', 'embedding size (text-fasttext)', positiveInteger)
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 128,64', positiveIntegers)
    .option('--buckets <n>', 'hashed n-gram buckets (text-fasttext)', positiveInteger)
    .option('--max-tokens <n>', 'tokens read per row (text-fasttext)', positiveInteger)
    .option('--ngrams <n>', 'longest word n-gram (text-fasttext)', positiveInteger)
    .option('--shape <dims>', 'image shape, e.g. 28,28 (image-mlp)', positiveIntegers)
    .option('--scale <x>', 'pixel scale (image-mlp; needs --shape)', positiveNumber)
    .option('--target-accuracy <x>', "the small model alone's target accuracy on the rows it keeps: sets its calibrated delta", share)
    .option('--no-promote', 'register without making it the current specific model')
    .action(action((o: TrainOptions) => train(o)));
  model
    .command('register')
    .description('register an external ONNX model')
    .requiredOption('--name <name>', 'model name')
    .requiredOption('--onnx <file>', 'the ONNX file')
    .requiredOption('--labels <a,b>', 'labels in the order of the model output', commaList)
    .requiredOption('--featurizer <json>', 'featurizer spec as JSON, or @FILE')
    .requiredOption('--output <name>', 'the ONNX output to read')
    .addOption(new Option('--output-kind <kind>', 'what the output holds').choices(['logits', 'probabilities']).makeOptionMandatory())
    .option('--task <task>', 'task name (default: the model name)')
    .addOption(new Option('--role <role>', 'registry role').choices(ROLES).default('specific'))
    .option('--parent <version>', 'the version this one was derived from')
    .option('--vocab <file>', 'vocabulary file (vocab-tokens featurizers)')
    .option('--calibrated-delta <x>', 'delta at which the small model alone meets its target accuracy', share)
    .option('--promote', 'make it the current model of its role')
    .action(action((o: RegisterOptions) => register(o)));
  model
    .command('list')
    .description('versions, the current ones, and 2CD candidates the promotion gate kept back (with its reason)')
    .option('--name <name>', 'only this model')
    .option('--json', 'one JSON document on stdout')
    .action(action((o: { name?: string; json?: boolean }) => listModels(o)));
  model
    .command('promote')
    .description('make a version the current model of a role')
    .requiredOption('--name <name>', 'model name')
    .addOption(new Option('--role <role>', 'registry role').choices(ROLES).makeOptionMandatory())
    .requiredOption('--version <version>', 'the version to promote')
    .action(action((o: { name: string; role: ModelRole; version: string }) => promote(o)));
  model
    .command('eval')
    .description(`accuracy, per-class accuracy and calibration of a version on labelled rows. ${DATA_HELP}`)
    .requiredOption('--name <name>', 'model name')
    .option('--version <version>', 'version (default: the current one of --role)')
    .addOption(new Option('--role <role>', 'registry role').choices(ROLES).default('specific'))
    .requiredOption('--data <data>', 'labelled rows (DATA)')
    .option('--json', 'one JSON document on stdout')
    .action(action((o: EvalOptions) => evaluate(o)));
}

interface TrainOptions {
  name: string;
  family: 'text-fasttext' | 'image-mlp';
  train: string;
  validation?: string;
  labels?: string[];
  task?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: 'adam' | 'sgd';
  seed?: number;
  embeddingDim?: number;
  hidden?: number[];
  buckets?: number;
  maxTokens?: number;
  ngrams?: number;
  shape?: number[];
  scale?: number;
  targetAccuracy?: number;
  promote: boolean;
}

interface RegisterOptions {
  name: string;
  onnx: string;
  labels: string[];
  featurizer: string;
  output: string;
  outputKind: 'logits' | 'probabilities';
  task?: string;
  role: ModelRole;
  parent?: string;
  vocab?: string;
  calibratedDelta?: number;
  promote?: boolean;
}

interface EvalOptions {
  name: string;
  version?: string;
  role: ModelRole;
  data: string;
  json?: boolean;
}

async function train(o: TrainOptions): Promise<number> {
  const featurizer = featurizerOf(o);
  const { s3, bucket, registry } = await openRegistry();
  const trainRows = await readRows(o.train, s3, bucket);
  const validation = o.validation ? await readRows(o.validation, s3, bucket) : undefined;
  const labels = o.labels ?? [...new Set(trainRows.map((r) => r.label))].sort();
  const { meta, evaluation, trained } = await trainAndRegister({
    registry,
    name: o.name,
    family: o.family,
    labels,
    train: trainRows,
    ...(validation ? { validation } : {}),
    ...(o.task ? { task: o.task } : {}),
    ...(featurizer ? { featurizer } : {}),
    hyper: hyperOf(o),
    ...(o.targetAccuracy === undefined ? {} : { targetAccuracy: o.targetAccuracy }),
    promote: o.promote,
    onEpoch: (s) => console.error(`epoch ${s.epoch}: train loss ${s.trainLoss.toFixed(4)}, validation loss ${s.validationLoss?.toFixed(4) ?? '-'}, accuracy ${s.validationAccuracy?.toFixed(4) ?? '-'} (${s.seconds.toFixed(2)} s)`),
  });
  console.error(`kept epoch ${trained.bestEpoch}; registered ${meta.name} ${meta.version} as ${meta.role}${o.promote ? ' (promoted)' : ''}`);
  console.log(formatEvaluation(evaluation, `validation (${evaluation.rows} rows)`));
  console.log(smallAloneSummary(meta));
  return 0;
}

async function register(o: RegisterOptions): Promise<number> {
  const featurizer = parseFeaturizer(o.featurizer.startsWith('@') ? (await readLocal(o.featurizer.slice(1))).toString('utf8') : o.featurizer);
  const extraFiles: Record<string, Uint8Array> = {};
  if (featurizer.kind === 'vocab-tokens') {
    if (!o.vocab) throw new UsageError('--vocab is required with a vocab-tokens featurizer');
    extraFiles[featurizer.vocabKey] = await readLocal(o.vocab);
  }
  const { registry } = await openRegistry();
  const meta = await registry.register({
    onnx: await readLocal(o.onnx),
    meta: {
      name: o.name,
      task: o.task ?? o.name,
      labels: o.labels,
      role: o.role,
      family: 'external',
      featurizer,
      output: { name: o.output, kind: o.outputKind },
      parentVersion: o.parent ?? null,
      trainingDataDigest: null,
      validation: null,
      calibratedDelta: o.calibratedDelta ?? null,
    },
    promote: Boolean(o.promote),
    extraFiles,
  });
  console.log(`registered ${meta.name} ${meta.version} as ${meta.role}${o.promote ? ' (promoted)' : ''}`);
  return 0;
}

async function listModels(o: { name?: string; json?: boolean }): Promise<number> {
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

async function promote(o: { name: string; role: ModelRole; version: string }): Promise<number> {
  const { registry } = await openRegistry();
  const previous = await registry.current(o.name, o.role);
  await registry.promote(o.name, o.role, o.version);
  console.log(`${o.name} ${o.role}: ${previous ?? '(none)'} -> ${o.version}`);
  return 0;
}

async function evaluate(o: EvalOptions): Promise<number> {
  const { s3, bucket, registry } = await openRegistry();
  const { name, role } = o;
  const version = o.version ?? (await registry.current(name, role));
  if (!version) throw new CommandError(`model ${name} has no ${role} version; pass --version`);
  const rows = await readRows(o.data, s3, bucket);
  const scorer = await Scorer.load(registry, name, version, { executionProviders: ['cpu'] });
  try {
    const index = new Map(scorer.meta.labels.map((l, i) => [l, i]));
    const gold = rows.map((r) => {
      const k = index.get(r.label);
      if (k === undefined) throw new CommandError(`row ${r.id}: label "${r.label}" is not one of the model's labels ${JSON.stringify(scorer.meta.labels)}`);
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
  await ensureBucket(s3, config.S3_BUCKET).catch((error: Error) => {
    s3.destroy();
    throw new CommandError(`S3 at ${config.S3_ENDPOINT ?? `AWS (${config.S3_REGION})`} refused bucket "${config.S3_BUCKET}": ${error.message}; check S3_ENDPOINT, S3_BUCKET and the S3 credentials`);
  });
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

function featurizerOf(o: TrainOptions): FeaturizerConfig | undefined {
  if (o.family === 'text-fasttext' && (o.buckets || o.maxTokens || o.ngrams)) {
    return FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: o.buckets ?? 1 << 17, maxTokens: o.maxTokens ?? 256, ngrams: o.ngrams ?? 2 });
  }
  if (o.family === 'image-mlp' && (o.shape || o.scale)) {
    if (!o.shape) throw new UsageError('--scale needs --shape');
    return FeaturizerSchema.parse({ kind: 'pixels', shape: o.shape, scale: o.scale ?? 1 });
  }
  return undefined;
}

function hyperOf(o: TrainOptions): Partial<HyperParameters> {
  const hyper: Partial<HyperParameters> = {};
  if (o.epochs !== undefined) hyper.epochs = o.epochs;
  if (o.batchSize !== undefined) hyper.batchSize = o.batchSize;
  if (o.learningRate !== undefined) hyper.learningRate = o.learningRate;
  if (o.seed !== undefined) hyper.seed = o.seed;
  if (o.embeddingDim !== undefined) hyper.embeddingDim = o.embeddingDim;
  if (o.optimizer) hyper.optimizer = o.optimizer;
  if (o.hidden) hyper.hidden = o.hidden;
  return hyper;
}
