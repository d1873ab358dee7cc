import { calibrateDelta } from '@datashunt/algorithms';
import type { ModelMeta, ModelRole, PromotionRecord } from '@datashunt/contracts';
import { createHash } from 'node:crypto';
import { evaluateProbabilities, type ClassifierEvaluation } from './evaluation.js';
import { exportOnnx, PROBABILITIES_OUTPUT, readOnnxWeights } from './onnx-graph.js';
import type { ModelRegistry } from './registry.js';
import { predictProbabilities } from './row-features.js';
import { DEFAULT_HYPER_PARAMETERS, splitValidation, trainClassifier, type TrainClassifierArgs, type TrainedClassifier } from './trainer.js';
import { goldIndex, prepareRows, type TrainingRow } from './training-data.js';
import { RegistryError } from './errors.js';
import type { ClassifierWeights } from './weights.js';

/** Extra file of a trained version: hyper-parameters, featurizer and the epoch history. */
export const TRAINING_REPORT_FILE = 'training.json';

/** What trainClassifier takes (validation also gives the reported metrics), plus where and how to register. */
export interface TrainAndRegisterArgs extends Pick<TrainClassifierArgs, 'family' | 'labels' | 'train' | 'validation' | 'featurizer' | 'hyper' | 'onEpoch'> {
  registry: ModelRegistry;
  name: string;
  /** Free text describing the task (default: the name). */
  task?: string;
  /** Accuracy the small model must reach on the rows it keeps; picks the calibrated delta (default 0.95). */
  targetAccuracy?: number;
  /** Default 'specific'; with `parentVersion` default 'learnable'. */
  role?: ModelRole;
  /** Start from this registered version's weights (2CD: F_s2 starts as a copy of F_s1). */
  parentVersion?: string;
  /** Default true. */
  promote?: boolean;
  /**
   * Decides promotion from the trained weights before anything is registered (2CD's promotion gate);
   * its record is stored in the version's meta and replaces `promote`.
   */
  gate?: (trained: TrainedClassifier) => Promise<PromotionRecord>;
}

export interface TrainAndRegisterResult {
  meta: ModelMeta;
  trained: TrainedClassifier;
  evaluation: ClassifierEvaluation;
}

/**
 * Trains, exports to ONNX, measures the validation set (accuracy, ECE, a delta calibrated to
 * `targetAccuracy`), then registers and promotes the version for its role.
 */
export async function trainAndRegister(args: TrainAndRegisterArgs): Promise<TrainAndRegisterResult> {
  const parent = args.parentVersion ? await loadWeights(args.registry, args.name, args.parentVersion) : undefined;
  if (parent && parent.meta.family !== args.family) throw new RegistryError(`parent ${args.parentVersion} is ${parent.meta.family}, not ${args.family}`);
  const hyper = { ...DEFAULT_HYPER_PARAMETERS, ...args.hyper };
  const split = args.validation ? { train: args.train, validation: args.validation } : splitValidation(args.train, hyper.validationFraction, hyper.seed);
  const trained = trainClassifier({
    family: args.family,
    labels: args.labels,
    train: split.train,
    validation: split.validation,
    hyper,
    ...(parent ? { init: parent.weights } : {}),
    ...(args.featurizer ?? parent ? { featurizer: args.featurizer ?? parent!.meta.featurizer } : {}),
    ...(args.onEpoch ? { onEpoch: args.onEpoch } : {}),
  });
  const prepared = prepareRows(split.validation, args.labels, trained.featurizer, 'validation');
  const probs = predictProbabilities(trained.weights, trained.featurizer, split.validation.map((r) => r.input));
  const gold = probs.map((_, i) => goldIndex(prepared, i));
  const evaluation = evaluateProbabilities(probs, gold, args.labels);
  const delta = calibrateDelta(probs, gold, args.targetAccuracy ?? 0.95);
  const promotion = args.gate ? await args.gate(trained) : undefined;
  const report = { hyper: trained.hyper, featurizer: trained.featurizer, bestEpoch: trained.bestEpoch, history: trained.history, evaluation };
  const meta = await args.registry.register({
    onnx: exportOnnx(trained.weights, trained.featurizer, args.labels),
    meta: {
      name: args.name,
      task: args.task ?? args.name,
      labels: args.labels,
      role: args.role ?? (parent ? 'learnable' : 'specific'),
      family: args.family,
      featurizer: trained.featurizer,
      output: { name: PROBABILITIES_OUTPUT, kind: 'probabilities' },
      parentVersion: args.parentVersion ?? null,
      trainingDataDigest: digestRows(split.train),
      validation: { rows: evaluation.rows, accuracy: evaluation.accuracy, ece: evaluation.ece, coverageAtDelta: delta.coverage, ...(delta.acceptedAccuracy === null ? {} : { accuracyAtDelta: delta.acceptedAccuracy }) },
      calibratedDelta: delta.delta,
      ...(promotion ? { promotion } : {}),
    },
    promote: promotion ? promotion.promoted : (args.promote ?? true),
    extraFiles: { [TRAINING_REPORT_FILE]: Buffer.from(JSON.stringify(report, null, 2)) },
  });
  return { meta, trained, evaluation };
}

/** Weights of a version this package trained, read back from its ONNX initializers. */
export async function loadWeights(registry: ModelRegistry, name: string, version: string): Promise<{ meta: ModelMeta; weights: ClassifierWeights }> {
  const { meta, onnx } = await registry.get(name, version);
  if (meta.family !== 'text-fasttext' && meta.family !== 'image-mlp') throw new RegistryError(`${name} ${version} is a ${meta.family} model; only models trained here have readable weights`);
  return { meta, weights: readOnnxWeights(onnx, meta.family) };
}

/** sha256 over the rows' inputs and targets in order: which data a version was trained on. */
export function digestRows(rows: readonly TrainingRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify([row.input, row.label ?? null, row.target ? Array.from(row.target) : null])).update('\n');
  return `sha256:${hash.digest('hex')}`;
}
