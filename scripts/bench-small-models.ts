/**
 * Small-model benchmark: per dataset, training time per epoch, CPU scoring throughput through
 * onnxruntime-node at batch 1/64/256/1024, test accuracy and ECE; for the sentiment set, accuracy of
 * the npm lexicon scorers `sentiment` and `vader-sentiment` on the same test rows.
 *
 *   node_modules/.bin/tsx scripts/bench-small-models.ts [DATASETS_DIR] [--only a,b] [--write-docs]
 *
 * DATASETS_DIR (default .data/datasets) holds <name>/{train,validation,test}.jsonl from packages/datasets;
 * missing datasets are skipped. --write-docs replaces the "Small models" section of docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FeaturizerSchema, type FeaturizerConfig, type ModelMeta } from '../packages/contracts/src/index.js';
import {
  evaluateProbabilities,
  exportOnnx,
  labelsOf,
  parseLabelledJsonl,
  PROBABILITIES_OUTPUT,
  Scorer,
  trainClassifier,
  type HyperParameters,
  type LabelledRow,
  type TrainableFamily,
} from '../packages/small-models/src/index.js';

interface Setup {
  dataset: string;
  /** Heading; defaults to the dataset name. */
  title?: string;
  family: TrainableFamily;
  featurizer?: FeaturizerConfig;
  hyper?: Partial<HyperParameters>;
  /** Label a lexicon's positive side stands for, when the task is sentiment. */
  lexiconPositive?: string;
}

const SETUPS: Setup[] = [
  { dataset: 'fine-foods', family: 'text-fasttext', lexiconPositive: 'great' },
  // The speed/accuracy trade-off of a shorter token cap, for pipelines that need more rows/s.
  { dataset: 'fine-foods', title: 'fine-foods, max 128 tokens', family: 'text-fasttext', featurizer: FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: 1 << 17, maxTokens: 128, ngrams: 2 }) },
  { dataset: 'spam', family: 'text-fasttext' },
  { dataset: 'mnist-lt', family: 'image-mlp', featurizer: FeaturizerSchema.parse({ kind: 'pixels', shape: [28, 28], scale: 1 / 255 }), hyper: { hidden: [128], batchSize: 64 } },
];
const BATCH_SIZES = [1, 64, 256, 1024];
const ROOT = process.cwd();
// The lexicon scorers are dev dependencies of packages/small-models.
const requireFromPackage = createRequire(join(ROOT, 'packages/small-models/package.json'));

const { values, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' }, 'write-docs': { type: 'boolean' } } });
const dir = resolve(positionals[0] ?? '.data/datasets');
const only = values.only?.split(',');

const sections: string[] = [];
for (const setup of SETUPS.filter((s) => !only || only.includes(s.dataset))) {
  if (!existsSync(join(dir, setup.dataset, 'train.jsonl'))) {
    console.error(`skipping ${setup.dataset}: ${join(dir, setup.dataset)} has no train.jsonl`);
    continue;
  }
  sections.push(await bench(setup));
}
const report = [
  `Measured on ${cpus().length} CPU cores (${cpus()[0]?.model.trim()}), Node ${process.version}, onnxruntime-node CPU provider, default threads.`,
  'Run: `node_modules/.bin/tsx scripts/bench-small-models.ts --write-docs`.',
  '',
  ...sections,
].join('\n');
console.log(report);
if (values['write-docs']) writeSection(join(ROOT, 'docs/benchmarks.md'), 'Small models', report);

async function bench(setup: Setup): Promise<string> {
  const name = setup.dataset;
  const read = (split: string) => parseLabelledJsonl(readFileSync(join(dir, name, `${split}.jsonl`), 'utf8'), `${name}/${split}`);
  const [train, validation, test] = [read('train'), read('validation'), read('test')];
  const metaFile = join(dir, name, 'meta.json');
  const labels: string[] = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')).labels : labelsOf(train).sort();
  console.error(`${name}: ${train.length} train / ${validation.length} validation / ${test.length} test rows, ${labels.length} classes`);

  const trained = trainClassifier({
    family: setup.family,
    labels,
    train,
    validation,
    ...(setup.featurizer ? { featurizer: setup.featurizer } : {}),
    hyper: { seed: 1, ...setup.hyper },
    onEpoch: (s) => console.error(`  epoch ${s.epoch}: ${s.seconds.toFixed(2)} s, validation accuracy ${s.validationAccuracy?.toFixed(4)}`),
  });
  const epochSeconds = trained.history.reduce((s, h) => s + h.seconds, 0) / trained.history.length;
  const onnx = exportOnnx(trained.weights, trained.featurizer, labels);
  const meta: ModelMeta = {
    name, version: 'bench', task: name, labels, role: 'specific', family: setup.family, featurizer: trained.featurizer,
    output: { name: PROBABILITIES_OUTPUT, kind: 'probabilities' }, parentVersion: null, trainingDataDigest: null, validation: null,
    calibratedDelta: null, createdAt: new Date().toISOString(),
  };

  const throughput: string[] = [];
  let evaluation: ReturnType<typeof evaluateProbabilities> | undefined;
  for (const batchSize of BATCH_SIZES) {
    const scorer = await Scorer.fromBytes(onnx, meta, { executionProviders: ['cpu'], batchSize });
    const inputs = repeat(test, batchSize === 1 ? 2_000 : 20_000).map((r) => r.input);
    await scorer.score(inputs.slice(0, Math.max(batchSize, 256))); // warm-up
    const started = performance.now();
    await scorer.score(inputs);
    throughput.push(Math.round(inputs.length / ((performance.now() - started) / 1000)).toLocaleString('en-US'));
    if (batchSize === 256) evaluation = evaluateProbabilities(await scorer.score(test.map((r) => r.input)), gold(test, labels), labels);
    await scorer.release();
  }
  const e = evaluation!;
  const lines = [
    `### ${setup.title ?? name} (${setup.family})`,
    '',
    `${train.length} train / ${validation.length} validation / ${test.length} test rows, ${labels.length} classes; ` +
      `featurizer ${describeFeaturizer(trained.featurizer)}; ${trained.history.length} epochs run, best ${trained.bestEpoch}; ONNX ${(onnx.length / 1e6).toFixed(1)} MB.`,
    '',
    '| training s/epoch | rows/s batch 1 | batch 64 | batch 256 | batch 1024 | test accuracy | test ECE |',
    '|---|---|---|---|---|---|---|',
    `| ${epochSeconds.toFixed(2)} | ${throughput.join(' | ')} | ${e.accuracy.toFixed(4)} | ${e.ece.toFixed(4)} |`,
  ];
  if (setup.family === 'image-mlp') {
    lines.push('', `Per-class test accuracy: ${Object.entries(e.perClass).map(([l, c]) => `${l} ${c.accuracy?.toFixed(2) ?? '-'}`).join(', ')}.`);
  }
  if (setup.lexiconPositive) lines.push('', ...lexiconComparison(validation, test, labels, setup.lexiconPositive, e.accuracy));
  return `${lines.join('\n')}\n`;
}

/** Lexicon scores thresholded at the value that is best on the validation set, then applied to test. */
function lexiconComparison(validation: LabelledRow[], test: LabelledRow[], labels: string[], positive: string, modelAccuracy: number): string[] {
  const Sentiment = requireFromPackage('sentiment');
  const vader = requireFromPackage('vader-sentiment');
  const afinn = new Sentiment();
  const scorers: Record<string, (text: string) => number> = {
    'sentiment (AFINN, comparative)': (t) => afinn.analyze(t).comparative,
    'vader-sentiment (compound)': (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
  };
  const majority = Math.max(...labels.map((l) => test.filter((r) => r.label === l).length)) / test.length;
  const rows = [`| fastText (this package) | ${modelAccuracy.toFixed(4)} |`];
  for (const [name, score] of Object.entries(scorers)) {
    const accuracyAt = (rowsOf: LabelledRow[], scores: number[], threshold: number) =>
      rowsOf.filter((r, i) => (scores[i]! > threshold) === (r.label === positive)).length / rowsOf.length;
    const valScores = validation.map((r) => score(r.input as string));
    const candidates = [...new Set(valScores)].sort((a, b) => a - b);
    const threshold = candidates.reduce((best, t) => (accuracyAt(validation, valScores, t) > accuracyAt(validation, valScores, best) ? t : best), candidates[0]!);
    rows.push(`| ${name}, threshold ${threshold.toFixed(3)} from validation | ${accuracyAt(test, test.map((r) => score(r.input as string)), threshold).toFixed(4)} |`);
  }
  rows.push(`| majority class | ${majority.toFixed(4)} |`);
  return ['Same test set, lexicon scorers from npm:', '', '| scorer | test accuracy |', '|---|---|', ...rows];
}

function gold(rows: LabelledRow[], labels: string[]): number[] {
  return rows.map((r) => labels.indexOf(r.label));
}

function repeat<T>(rows: T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => rows[i % rows.length]!);
}

function describeFeaturizer(f: FeaturizerConfig): string {
  if (f.kind === 'hashed-ngrams') return `hashed ${f.ngrams}-grams, ${f.buckets} buckets, max ${f.maxTokens} tokens`;
  if (f.kind === 'pixels') return `pixels ${f.shape.join('x')} x ${f.scale.toPrecision(3)}`;
  return f.kind;
}

/** Replaces (or appends) the "## <title>" section, leaving the other sections as they are. */
function writeSection(file: string, title: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = `## ${title}`;
  const start = text.indexOf(`${heading}\n`);
  const section = `${heading}\n\n${body.trim()}\n`;
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(file, `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next)}`);
}
