import type { DatasetName } from '@datashunt/datasets';
import type { PriceTable } from './aggregate.js';

/** Which training rows the specialist (the paper's task-specific small model F_s1) sees. */
export type SpecialistData =
  /** The first `rows` rows of the (already shuffled, seeded) train split: limited task data. */
  | { kind: 'slice'; rows: number }
  /** The whole train split (mnist-lt: long-tailed, head classes seen many times). */
  | { kind: 'all' };

/** Where the reference LLM's stand-in (the paper's large model) draws its balanced sample from. */
export type StandInPool =
  /** Train rows the specialist did not see. */
  | { kind: 'train-rest' }
  /** MNIST training images in neither the long-tailed train split nor validation (a disjoint "pretraining" pool). */
  | { kind: 'mnist-unused' };

export interface Experiment {
  name: DatasetName;
  /** Paper counterpart shown in the report. */
  paper: string;
  instruction: string;
  inputKind: 'text' | 'image';
  family: 'text-fasttext' | 'image-mlp';
  specialist: SpecialistData;
  specialistHyper: { epochs?: number; seed: number };
  standIn: { pool: StandInPool; perClass: number; seed: number };
  /** How rows are grouped in the tables: by the dataset's row groups (spam) or its label groups (long-tailed). */
  groups: 'row' | 'label' | 'none';
  /** 2CD's first run (Table 5's full DS+): DS+ over this many unlabelled rows not in test. */
  distillPoolRows: number;
}

/** gpt-4o-mini list price (USD per 1M tokens), the provider the pipeline targets by default. */
export const PRICE_TABLE: PriceTable = { name: 'gpt-4o-mini list price ($0.15 in / $0.60 out per 1M tokens)', inputPer1M: 0.15, outputPer1M: 0.6 };

/** Requests per minute granted to the large model in every run: an OpenAI tier-3 gpt-4o-mini limit is 5,000. */
export const RATE_LIMIT_RPM = 6_000;

/** Deltas of the sweep (Fig. 7); the calibrated delta is chosen from the same grid on validation. */
export const SWEEP_GRID = [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999];

export const EXPERIMENTS: Record<'fine-foods' | 'spam' | 'mnist-lt', Experiment> = {
  'fine-foods': {
    name: 'fine-foods',
    paper: 'Table 1 / Fig. 7 (Amazon sentiment, TextCNN/LSTM/BERT + ChatGPT)',
    instruction: 'Is this Amazon fine-food review rated great (5 stars) or other (1 to 4 stars)?',
    inputKind: 'text',
    family: 'text-fasttext',
    specialist: { kind: 'slice', rows: 800 },
    specialistHyper: { seed: 1 },
    standIn: { pool: { kind: 'train-rest' }, perClass: 400, seed: 1 },
    groups: 'none',
    distillPoolRows: 1_000,
  },
  spam: {
    name: 'spam',
    paper: 'Table 1 analogue on a second text task (SpamAssassin)',
    instruction: 'Is this e-mail spam or ham (a legitimate mail)?',
    inputKind: 'text',
    family: 'text-fasttext',
    specialist: { kind: 'slice', rows: 300 },
    specialistHyper: { seed: 1 },
    standIn: { pool: { kind: 'train-rest' }, perClass: 100, seed: 1 },
    groups: 'row',
    distillPoolRows: 1_500,
  },
  'mnist-lt': {
    name: 'mnist-lt',
    paper: 'Table 3 / Table 5 (CIFAR-100-LT, ResNet-32 + CLIP)',
    instruction: 'Which handwritten digit (0-9) is in this image?',
    inputKind: 'image',
    family: 'image-mlp',
    specialist: { kind: 'all' },
    specialistHyper: { seed: 1 },
    standIn: { pool: { kind: 'mnist-unused' }, perClass: 100, seed: 1 },
    groups: 'label',
    distillPoolRows: 3_000,
  },
};

export const EXPERIMENT_NAMES = Object.keys(EXPERIMENTS) as Array<keyof typeof EXPERIMENTS>;
