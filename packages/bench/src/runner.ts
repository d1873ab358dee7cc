import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { ResultRecordSchema, runKeys, type ManifestInput, type Report } from '@datashunt/contracts';
import type { Config, Runtime, RunWatcher } from '@datashunt/runtime';
import { runServices, type RunningServices } from '@datashunt/runtime';
import { ModelRegistry, Scorer, trainAndRegister } from '@datashunt/small-models';
import { getJson, headObject, putBytes, putJson, readAllJsonl, toJsonl } from '@datashunt/storage';
import { chooseDelta, lowerBound, summarizeRun, type DeltaChoice, type LowerBound, type PriceTable, type ResultRow, type RunSummary } from './aggregate.js';
import type { BenchRow, ExperimentData, StandInInfo } from './data.js';
import { PRICE_TABLE, RATE_LIMIT_RPM, SWEEP_GRID, type Experiment } from './experiments.js';

/** What the runner needs of a running stack (the CLI's LocalStack satisfies it). */
export interface BenchStack {
  config: Config;
  runtime: Runtime;
  watcher: RunWatcher;
  services: { modules: ReadonlyArray<{ name: string }> };
}

export interface LargeModelChoice {
  model: string;
  /** 'reference' when the embedded reference LLM answers, else the provider's base URL. */
  endpoint: string;
  embedded: boolean;
}

export interface RunnerOptions {
  largeModel: LargeModelChoice;
  sweep: boolean;
  ablation: boolean;
  sweepGrid?: number[];
  rateLimitRpm?: number;
  price?: PriceTable;
  runTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TimedRun {
  tag: string;
  strategy: 'small-only' | 'large-only' | 'shunt';
  delta: number | null;
  promptMode: string;
  useLearnable: boolean;
  runId: string;
  summary: RunSummary;
  /** The pipeline's own measure (run created -> report written). */
  pipelineWallSeconds: number;
  /** Manifest dropped -> report read back by the bench. */
  wallSeconds: number;
  bound: LowerBound;
  paidCalls: number;
  cachedCalls: number;
  modelVersions: Report['modelVersions'];
}

export interface ExperimentResult {
  name: string;
  paper: string;
  labels: string[];
  groups: string[];
  rows: { specialistTrain: number; validation: number; test: number; distillPool: number };
  specialist: { version: string; family: string; trainRows: number; byLabel: Record<string, number>; validationAccuracy: number; trainSeconds: number };
  standIn: (StandInInfo & { model: string; endpoint: string }) | { model: string; endpoint: string };
  delta: DeltaChoice & { validationLargeAccuracy: number; validationSmallAccuracy: number };
  runs: { small: TimedRun; large: TimedRun; shunt: TimedRun };
  sweep: TimedRun[];
  ablation:
    | { status: 'done'; full: TimedRun; without2cd: TimedRun; withoutPpAnd2cd: TimedRun; distill: Record<string, unknown> }
    | { status: 'pending' | 'skipped'; reason: string; without2cd?: TimedRun; withoutPpAnd2cd?: TimedRun };
  price: PriceTable;
  rateLimitRpm: number;
  seconds: number;
}

const argmax = (p: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
};

/** Optional 2CD hook: present when the trainer package is available (Table 5's full DS+). */
export interface Distiller {
  /** Runs one distillation pass for the model over the given runs; returns the job's summary. */
  distill(stack: BenchStack, modelName: string, runIds: string[]): Promise<Record<string, unknown> & { status: string }>;
  close(): Promise<void>;
}

/**
 * One experiment through the real pipeline: train the specialist, choose delta on validation from a
 * large-only run, then small-only / large-only / DS+ on test, the delta sweep and the ablation, every
 * run a manifest dropped into S3 and read back from S3.
 */
export async function runExperiment(stack: BenchStack, exp: Experiment, data: ExperimentData, standIn: StandInInfo | undefined, options: RunnerOptions, distiller?: Distiller): Promise<ExperimentResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const price = options.price ?? PRICE_TABLE;
  const rpm = options.rateLimitRpm ?? RATE_LIMIT_RPM;
  const { s3, bucket } = stack.runtime;
  const registry = new ModelRegistry(s3, bucket);
  const nonce = randomBytes(3).toString('hex');
  const modelName = `bench-${exp.name}-${nonce}`;

  log(`[${exp.name}] training the specialist on ${data.specialistTrain.length} rows`);
  const t0 = performance.now();
  const trained = await trainAndRegister({ registry, name: modelName, task: exp.name, family: exp.family, labels: data.labels, train: data.specialistTrain, validation: data.validation, hyper: exp.specialistHyper });
  const trainSeconds = (performance.now() - t0) / 1000;
  const version = trained.meta.version;
  const scorer = await Scorer.load(registry, modelName, version, { executionProviders: ['cpu'] });

  // Under datasets/, the default readable scope for manifests.
  const prefix = `datasets/bench/${nonce}/${exp.name}`;
  const upload = async (split: string, rows: readonly BenchRow[], withLabels: boolean) => {
    const key = `${prefix}/${split}.jsonl`;
    await putBytes(s3, { bucket, key }, toJsonl(rows.map((r) => (withLabels ? { id: r.id, input: r.input, label: r.label } : { id: r.id, input: r.input }))));
    return key;
  };
  const validationKey = await upload('validation', data.validation, true);
  const testKey = await upload('test', data.test, true);

  const gold = new Map([...data.validation, ...data.test].map((r) => [r.id, r.label]));
  const inputs = new Map([...data.validation, ...data.test, ...data.distillPool].map((r) => [r.id, r.input]));
  const baseManifest = (inputKey: string, over: Partial<ManifestInput>): ManifestInput => ({
    task: { type: 'classification', labels: data.labels, instruction: exp.instruction, inputKind: exp.inputKind },
    input: { uri: inputKey },
    smallModel: { name: modelName, version, useLearnable: false },
    largeModel: { model: options.largeModel.model, pricing: { inputPer1M: price.inputPer1M, outputPer1M: price.outputPer1M }, rateLimitRpm: rpm },
    delta: 0.99,
    budgetUsd: 100,
    shardSize: 1_000,
    ...over,
  });

  let runCount = 0;
  const submit = async (tag: string, manifest: ManifestInput): Promise<{ report: Report; results: ResultRow[]; wallSeconds: number }> => {
    const name = `bench-${nonce}-${exp.name}-${tag}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 72);
    const key = `${stack.config.MANIFEST_PREFIX}${name}-${runCount++}.json`;
    const t = performance.now();
    await putJson(s3, { bucket, key }, { ...manifest, name });
    await announce(stack, key);
    const outcome = await stack.watcher.wait(key, options.runTimeoutMs ?? 20 * 60_000);
    if (outcome.status !== 'finished') throw new Error(`${exp.name} ${tag}: manifest refused: ${outcome.message}`);
    const report = await getJson<Report>(s3, { bucket, key: outcome.reportKey });
    const wallSeconds = (performance.now() - t) / 1000;
    const results = (await readAllJsonl(s3, { bucket, key: runKeys(manifest.output?.prefix ?? 'runs/', outcome.runId).results })).map((r) => ResultRecordSchema.parse(r));
    // A large model that could not answer would pass the small model's labels off as its own.
    const failed = results.find((r) => r.fallbackReason === 'llm_error');
    if (failed) throw new Error(`${exp.name} ${tag}: the large model failed on ${report.fallbackReasons.llm_error} rows, e.g. line ${failed.line}: ${failed.error}`);
    return { report, results, wallSeconds };
  };

  const timed = async (tag: string, manifest: ManifestInput): Promise<TimedRun> => {
    const { report, results, wallSeconds } = await submit(tag, manifest);
    const summary = summarizeRun(results, gold, data.labels, data.groupOf, price);
    const easy = results.filter((r) => r.source === 'small' || r.source === 'learnable').map((r) => inputs.get(String(r.id))!);
    const easyScoringSeconds = await timeScoring(scorer, easy);
    // Rows answered from the response cache never reach the provider, so only paid calls wait for the rate limit.
    const bound = lowerBound({ easyScoringSeconds, hardRows: report.largeModelCalls.paid, rateLimitRpm: rpm, wallSeconds });
    const run: TimedRun = {
      tag,
      strategy: manifest.strategy ?? 'shunt',
      delta: manifest.strategy === 'shunt' || manifest.strategy === undefined ? report.delta : null,
      promptMode: manifest.promptMode ?? 'soft',
      useLearnable: manifest.smallModel.useLearnable ?? true,
      runId: report.runId,
      summary,
      pipelineWallSeconds: report.wallSeconds,
      wallSeconds,
      bound,
      paidCalls: report.largeModelCalls.paid,
      cachedCalls: report.largeModelCalls.cached,
      modelVersions: report.modelVersions,
    };
    log(
      `[${exp.name}] ${tag.padEnd(22)} acc ${pct(summary.accuracy)}  query ${pct(summary.queryProportion)}  wall ${wallSeconds.toFixed(1)} s (bound ${bound.seconds.toFixed(1)} s, x${bound.ratio?.toFixed(2) ?? '-'})`,
    );
    return run;
  };

  // 1. delta on validation: the specialist's confidences in-process, the large model's answers from a large-only run.
  log(`[${exp.name}] choosing delta on ${data.validation.length} validation rows`);
  const valLarge = await submit('validation-large', baseManifest(validationKey, { strategy: 'large-only', promptMode: 'plain' }));
  const largeLabel = new Map(valLarge.results.map((r) => [String(r.id), r.label]));
  const valProbs = await scorer.score(data.validation.map((r) => r.input));
  const valRows = data.validation.map((r, i) => ({ confidence: Math.max(...valProbs[i]!), smallLabel: data.labels[argmax(valProbs[i]!)]!, largeLabel: largeLabel.get(r.id) ?? '', gold: r.label }));
  const delta = chooseDelta(valRows, options.sweepGrid ?? SWEEP_GRID);
  const validationLargeAccuracy = valRows.filter((r) => r.largeLabel === r.gold).length / valRows.length;
  const validationSmallAccuracy = valRows.filter((r) => r.smallLabel === r.gold).length / valRows.length;
  log(`[${exp.name}] delta ${delta.delta} (validation: DS+ ${pct(delta.accuracy)} at ${pct(delta.queryProportion)} queries; large ${pct(validationLargeAccuracy)}, small ${pct(validationSmallAccuracy)})`);

  // 2. the three headline runs on test.
  const small = await timed('small-only', baseManifest(testKey, { strategy: 'small-only', promptMode: 'plain' }));
  const large = await timed('large-only', baseManifest(testKey, { strategy: 'large-only', promptMode: 'plain' }));
  const shunt = await timed(`ds+ d=${delta.delta}`, baseManifest(testKey, { strategy: 'shunt', delta: delta.delta, promptMode: 'soft+hard' }));

  // 3. Fig. 7: the sweep (responses repeat, so the response cache answers most of them).
  const sweep: TimedRun[] = [];
  if (options.sweep) {
    for (const d of options.sweepGrid ?? SWEEP_GRID) {
      sweep.push(d === delta.delta ? { ...shunt, tag: `sweep d=${d}` } : await timed(`sweep d=${d}`, baseManifest(testKey, { strategy: 'shunt', delta: d, promptMode: 'soft+hard' })));
    }
  }

  // 4. Table 5.
  let ablation: ExperimentResult['ablation'] = { status: 'skipped', reason: 'not requested (--ablation)' };
  if (options.ablation) {
    const withoutPpAnd2cd = await timed(`ds+ -PP -2CD`, baseManifest(testKey, { strategy: 'shunt', delta: delta.delta, promptMode: 'plain' }));
    const without2cd = { ...shunt, tag: 'ds+ -2CD' };
    if (!distiller) {
      ablation = { status: 'pending', reason: 'the 2CD trainer is not available to this runner', without2cd, withoutPpAnd2cd };
    } else {
      // 2CD's first run: DS+ over unlabelled traffic that is neither validation nor test, then one distillation pass over its answers.
      const poolKey = await upload('distill-pool', data.distillPool, false);
      log(`[${exp.name}] 2CD: first run over ${data.distillPool.length} unlabelled rows, then one distillation pass`);
      const first = await submit('2cd-first-run', baseManifest(poolKey, { strategy: 'shunt', delta: delta.delta, promptMode: 'soft+hard' }));
      const summary = await distiller.distill(stack, modelName, [first.report.runId]);
      log(`[${exp.name}] distill: ${JSON.stringify(pick(summary, ['status', 'x1', 'x3', 'version', 'validation']))}`);
      if (summary.status !== 'trained') {
        ablation = { status: 'pending', reason: `distillation did not register a learnable model (status ${summary.status})`, without2cd, withoutPpAnd2cd };
      } else {
        const full = await timed('ds+ (2CD)', baseManifest(testKey, { strategy: 'shunt', delta: delta.delta, promptMode: 'soft+hard', smallModel: { name: modelName, version, useLearnable: true } }));
        ablation = { status: 'done', full, without2cd, withoutPpAnd2cd, distill: summary };
      }
    }
  }
  await scorer.release();

  const byLabel: Record<string, number> = {};
  for (const r of data.specialistTrain) byLabel[r.label] = (byLabel[r.label] ?? 0) + 1;
  const groups = [...new Set([...data.test].map((r) => data.groupOf(r.id, r.label)).filter((g): g is string => g !== undefined))];
  const groupOrder = ['head', 'medium', 'tail', 'easy-ham', 'hard-ham', 'spam'];
  groups.sort((a, b) => groupOrder.indexOf(a) - groupOrder.indexOf(b));
  return {
    name: exp.name,
    paper: exp.paper,
    labels: data.labels,
    groups,
    rows: { specialistTrain: data.specialistTrain.length, validation: data.validation.length, test: data.test.length, distillPool: data.distillPool.length },
    specialist: { version, family: exp.family, trainRows: data.specialistTrain.length, byLabel, validationAccuracy: trained.evaluation.accuracy, trainSeconds },
    standIn: { ...(standIn ?? {}), model: options.largeModel.model, endpoint: options.largeModel.endpoint },
    delta: { ...delta, validationLargeAccuracy, validationSmallAccuracy },
    runs: { small, large, shunt },
    sweep,
    ablation,
    price,
    rateLimitRpm: rpm,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Seconds the specialist takes to score these inputs in this process (the easy rows' share of the bound). */
async function timeScoring(scorer: Scorer, inputs: ReadonlyArray<string | number[]>): Promise<number> {
  if (inputs.length === 0) return 0;
  await scorer.score(inputs.slice(0, 8)); // warm
  const t = performance.now();
  await scorer.score(inputs);
  return (performance.now() - t) / 1000;
}

/**
 * Announces a dropped manifest the way an S3 bucket notification would (through ingest's endpoint) when
 * ingest runs in this process; elsewhere the periodic sweep finds it.
 */
async function announce(stack: BenchStack, key: string): Promise<void> {
  const ingest = stack.services.modules.find((m) => m.name === 'ingest') as unknown as { port?: () => number } | undefined;
  const port = ingest?.port?.();
  if (!port) return;
  const { s3, bucket } = stack.runtime;
  const head = await headObject(s3, { bucket, key });
  const res = await fetch(`http://127.0.0.1:${port}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.config.WEBHOOK_SECRET}` },
    body: JSON.stringify({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, eTag: head!.etag } } }] }),
  });
  if (res.status !== 202) throw new Error(`ingest refused the notification for ${key}: ${res.status} ${await res.text()}`);
}

/** The trainer service hosted next to the pipeline, and one distill job through its queue. */
export async function trainerDistiller(): Promise<Distiller | undefined> {
  let trainer: typeof import('@datashunt/trainer');
  try {
    trainer = await import('@datashunt/trainer');
  } catch {
    return undefined;
  }
  let hosted: Promise<RunningServices> | undefined;
  return {
    async distill(stack, modelName, runIds) {
      hosted ??= runServices(stack.runtime, [trainer.trainerService(stack.runtime)]);
      await hosted;
      const job = await trainer.enqueueDistillation(stack.runtime, { modelName, runIds });
      return (await trainer.waitForDistillation(stack.runtime, job, 10 * 60_000)) as unknown as Record<string, unknown> & { status: string };
    },
    async close() {
      if (hosted) await (await hosted).stop();
    },
  };
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

export const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`);
