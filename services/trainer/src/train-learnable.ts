import { argmax } from '@datashunt/algorithms';
import type { ModelMeta, PromotionRecord } from '@datashunt/contracts';
import {
  predictProbabilities,
  Scorer,
  splitValidation,
  trainAndRegister,
  type HyperParameters,
  type ModelInput,
  type ModelRegistry,
  type TrainableFamily,
  type TrainingRow,
} from '@datashunt/small-models';
import { mixForTraining, type DistillRow, type DistillSet } from './distill-set.js';
import { checkPromotion, type GateInput } from './promotion-check.js';

export const TRAINABLE_FAMILIES: readonly string[] = ['text-fasttext', 'image-mlp'] satisfies TrainableFamily[];

export function isTrainableHere(family: ModelMeta['family']): family is TrainableFamily {
  return TRAINABLE_FAMILIES.includes(family);
}

export interface TrainLearnableOptions {
  /** Share of x1 and of x3 held out (each, seeded) for early stopping and the reported metrics. */
  validationFraction: number;
  /** At most this many copies of x3 in the training rows (see mixForTraining). */
  maxX3Repeat: number;
  hyper: Partial<HyperParameters>;
}

export interface LearnableValidation {
  rows: number;
  /** Agreement of F_s2's top class with its targets' top class, over the held-out rows of both sets. */
  accuracy: number;
  ece: number;
  /** On held-out x1: does F_s2 still answer as the specialist did (no forgetting)? null if none held out. */
  agreementX1: number | null;
  /** On held-out x3: does F_s2 answer as the large model did (new knowledge)? null if none held out. */
  agreementX3: number | null;
  calibratedDelta: number | null;
}

export interface TrainedLearnable {
  version: string;
  parentVersion: string;
  trainRows: number;
  x3Repeat: number;
  bestEpoch: number;
  validation: LearnableValidation;
  /** The promotion gate's decision; the version is the model's learnable one only if it promoted. */
  promotion: PromotionRecord;
}

/**
 * Algorithm 1, step 8: F_s2 starts as a copy of F_s1 (the specific version's weights) and is trained on
 * x1 with F_s1's probabilities (Eq. 8) and x3 with the large model's (Eq. 7), then registered. It is
 * promoted as the model's learnable version only if the promotion gate finds DS+ no worse with it than
 * with `current` on the set's held-out rows; otherwise it stays a candidate.
 */
export async function trainLearnable(
  registry: ModelRegistry,
  specific: ModelMeta & { family: TrainableFamily },
  set: DistillSet<ModelInput>,
  options: TrainLearnableOptions,
  current: GateInput['current'],
): Promise<TrainedLearnable> {
  const seed = options.hyper.seed ?? 1;
  const x1 = splitValidation(set.x1, options.validationFraction, seed);
  const x3 = splitValidation(set.x3, options.validationFraction, seed);
  const mixed = mixForTraining(x1.train, x3.train, options.maxX3Repeat);
  const { meta, trained, evaluation } = await trainAndRegister({
    registry,
    name: specific.name,
    task: specific.task,
    family: specific.family,
    labels: specific.labels,
    train: mixed.rows.map(trainingRow),
    validation: [...x1.validation, ...x3.validation].map(trainingRow),
    role: 'learnable',
    parentVersion: specific.version,
    hyper: options.hyper,
    gate: async ({ weights, featurizer }) =>
      checkPromotion({ heldOut: set.heldOut, current, candidate: predictProbabilities(weights, featurizer, set.heldOut.map((r) => r.input)) }),
  });
  const agreement = (rows: DistillRow<ModelInput>[]) => {
    if (rows.length === 0) return null;
    const probs = predictProbabilities(trained.weights, trained.featurizer, rows.map((r) => r.input));
    return probs.filter((p, i) => argmax(p) === argmax(rows[i]!.target)).length / rows.length;
  };
  return {
    version: meta.version,
    parentVersion: specific.version,
    trainRows: mixed.rows.length,
    x3Repeat: mixed.x3Repeat,
    bestEpoch: trained.bestEpoch,
    validation: {
      rows: evaluation.rows,
      accuracy: evaluation.accuracy,
      ece: evaluation.ece,
      agreementX1: agreement(x1.validation),
      agreementX3: agreement(x3.validation),
      calibratedDelta: meta.calibratedDelta,
    },
    promotion: meta.promotion!,
  };
}

function trainingRow(row: DistillRow<ModelInput>): TrainingRow {
  return { input: row.input, target: row.target };
}

/**
 * The learnable version DS+ uses now, scored on the gate's rows: "without the new version". None (or
 * one for other labels, which the router could not pair with the specialist) means the specialist alone.
 */
export async function scoreCurrentLearnable(registry: ModelRegistry, specific: ModelMeta, inputs: readonly ModelInput[]): Promise<GateInput['current']> {
  const version = await registry.current(specific.name, 'learnable');
  if (!version) return null;
  const scorer = await Scorer.load(registry, specific.name, version, { executionProviders: ['cpu'] });
  try {
    if (scorer.meta.labels.join('\n') !== specific.labels.join('\n')) return null;
    return { version, probs: await scorer.score(inputs) };
  } finally {
    await scorer.release();
  }
}
