import { z } from 'zod';

export const ModelRoleSchema = z.enum(['specific', 'learnable']);
export type ModelRole = z.infer<typeof ModelRoleSchema>;

/** How raw inputs become the ONNX model's tensors. Featurization is shared by training and scoring. */
export const FeaturizerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('hashed-ngrams'),
    buckets: z.number().int().positive(),
    maxTokens: z.number().int().positive(),
    ngrams: z.number().int().min(1).max(3),
    lowercase: z.boolean().default(true),
    inputName: z.string().default('tokens'),
    maskName: z.string().default('mask'),
  }),
  z.object({
    kind: z.literal('pixels'),
    shape: z.array(z.number().int().positive()).min(1),
    scale: z.number().positive().default(1),
    inputName: z.string().default('pixels'),
  }),
  z.object({
    kind: z.literal('vocab-tokens'),
    vocabKey: z.string(),
    maxTokens: z.number().int().positive(),
    lowercase: z.boolean().default(true),
    unkToken: z.string().default('[UNK]'),
    padId: z.number().int().default(0),
    inputName: z.string(),
    maskName: z.string().optional(),
  }),
]);
export type FeaturizerConfig = z.infer<typeof FeaturizerSchema>;

/**
 * The 2CD promotion gate's decision on a learnable version: DS+ on held-out rows without the version
 * (the specific model alone, or the learnable version then current) and with it. A version that was
 * not promoted stays registered as a candidate.
 */
export const PromotionRecordSchema = z.object({
  promoted: z.boolean(),
  reason: z.string(),
  /** 'gold': accuracy against labels; 'large-agreement': agreement with the large model (no labels). */
  basis: z.enum(['gold', 'large-agreement']),
  heldOutRows: z.number().int().nonnegative(),
  /** What "without" is: "specific only" or "learnable <version>". */
  comparedWith: z.string(),
  /** Null when there were no held-out rows to compare on. */
  accuracy: z.object({ without: z.number(), with: z.number() }).nullable(),
  queryShare: z.object({ without: z.number(), with: z.number() }).nullable(),
});
export type PromotionRecord = z.infer<typeof PromotionRecordSchema>;

export const ModelMetaSchema = z.object({
  name: z.string(),
  version: z.string(),
  task: z.string(),
  labels: z.array(z.string()).min(2),
  role: ModelRoleSchema,
  family: z.enum(['text-fasttext', 'image-mlp', 'image-cnn', 'external']),
  featurizer: FeaturizerSchema,
  output: z.object({ name: z.string(), kind: z.enum(['probabilities', 'logits']) }),
  parentVersion: z.string().nullable(),
  trainingDataDigest: z.string().nullable(),
  validation: z.record(z.string(), z.number()).nullable(),
  /**
   * Small model alone: the delta at which it reaches a target accuracy on the validation rows it keeps,
   * chosen without the large model (validation.coverageAtDelta / accuracyAtDelta). Not DS+'s delta:
   * `datashunt calibrate` chooses that with the large model.
   */
  calibratedDelta: z.number().nullable(),
  /** Learnable versions trained by 2CD: the promotion gate's decision (absent for versions registered otherwise). */
  promotion: PromotionRecordSchema.optional(),
  createdAt: z.string(),
});
export type ModelMeta = z.infer<typeof ModelMetaSchema>;
