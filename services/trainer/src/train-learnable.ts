import { argmax } from '@datashunt/algorithms';
import type { ModelMeta } from '@datashunt/contracts';
import {
  predictProbabilities,
  splitValidation,
  trainAndRegister,
  type HyperParameters,
  type ModelInput,
  type ModelRegistry,
  type TrainableFamily,
  type TrainingRow,
} from '@datashunt/small-models';
import { mixForTraining, type DistillRow, type DistillSet } from './distill-set.js';

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
}

/**
 * Algorithm 1, step 8: F_s2 starts as a copy of F_s1 (the specific version's weights) and is trained on
 * x1 with F_s1's probabilities (Eq. 8) and x3 with the large model's (Eq. 7), then registered and
 * promoted as the model's learnable version.
 */
export async function trainLearnable(registry: ModelRegistry, specific: ModelMeta & { family: TrainableFamily }, set: DistillSet<ModelInput>, options: TrainLearnableOptions): Promise<TrainedLearnable> {
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
    promote: true,
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
  };
}

function trainingRow(row: DistillRow<ModelInput>): TrainingRow {
  return { input: row.input, target: row.target };
}
