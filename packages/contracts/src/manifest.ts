import { z } from 'zod';

/** Prompt Pruning modes (paper Sec. 3.1): soft lists the small model's confident class probabilities,
 * hard removes the classes it confidently rejects, plain sends the bare task. */
export const PromptModeSchema = z.enum(['plain', 'soft', 'hard', 'soft+hard']);
export type PromptMode = z.infer<typeof PromptModeSchema>;

export const TaskSchema = z.object({
  type: z.literal('classification'),
  labels: z
    .array(z.string().min(1))
    .min(2)
    .refine((labels) => new Set(labels).size === labels.length, 'labels must be unique'),
  instruction: z.string().min(1),
  /** Whether an input is text (sent as is) or an image (a flat pixel array, sent as a PNG). */
  inputKind: z.enum(['text', 'image']).default('text'),
});

export const LargeModelSchema = z.object({
  model: z.string().min(1),
  /** Overrides OPENAI_BASE_URL for this run; the key always comes from the environment. */
  baseURL: z.url().optional(),
  pricing: z.object({
    inputPer1M: z.number().nonnegative(),
    outputPer1M: z.number().nonnegative(),
  }),
  rateLimitRpm: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive().default(8),
  temperature: z.number().min(0).max(2).default(0),
});

export const ManifestSchema = z.object({
  /** Human name of the run; the run id is derived from it and the manifest's ETag. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'letters, digits, ".", "_" and "-", at most 80')
    .optional(),
  task: TaskSchema,
  input: z.object({
    /** s3://bucket/key, or a key in the configured bucket. */
    uri: z.string().min(1),
    format: z.literal('jsonl').default('jsonl'),
  }),
  smallModel: z.object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/),
    /** Pins a version of the specific model; the registry's current pointer otherwise. */
    version: z.string().optional(),
    /** Use the learnable (2CD) model when one is registered. */
    useLearnable: z.boolean().default(true),
  }),
  largeModel: LargeModelSchema,
  delta: z.number().gt(0).lte(1),
  /**
   * shunt: DS+ (Algorithm 2). small-only / large-only send every row to one side: the baselines a
   * team measures DS+ against, through the same pipeline and report.
   */
  strategy: z.enum(['shunt', 'small-only', 'large-only']).default('shunt'),
  promptMode: PromptModeSchema.default('soft'),
  /** Soft prompt: list classes whose probability is at least this; hard prompt: drop classes below it. */
  promptPruneThreshold: z.number().min(0).max(1).default(0.01),
  budgetUsd: z.number().positive(),
  output: z.object({ prefix: z.string().default('runs/') }).default({ prefix: 'runs/' }),
  shardSize: z.number().int().min(1).max(50_000).default(5_000),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestInput = z.input<typeof ManifestSchema>;
export type LargeModelSpec = z.infer<typeof LargeModelSchema>;
