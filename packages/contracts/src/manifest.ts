import { z } from 'zod';
import { DeltaTargetSpecSchema } from './calibration.js';
import { DEFAULT_ENDPOINT, EndpointNameSchema } from './endpoints.js';
import { checkKeyPrefix, parseObjectUri } from './object-scope.js';

/** A zod refinement from one of object-scope's checks, so the manifest and ingest agree on the words. */
function checkedBy<T>(check: (value: string) => { ok: true; value: T } | { ok: false; message: string }) {
  return (value: string, ctx: z.RefinementCtx) => {
    const checked = check(value);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
  };
}

/** Model names and versions become registry key segments: they start with a letter or digit, so never "." or "..". */
const ModelNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

/** Prompt Pruning modes (paper Sec. 3.1): soft lists the small model's confident class probabilities,
 * hard removes the classes it confidently rejects, plain sends the bare task. */
export const PromptModeSchema = z.enum(['plain', 'soft', 'hard', 'soft+hard']);
export type PromptMode = z.infer<typeof PromptModeSchema>;

export const TaskSchema = z.strictObject({
  type: z.literal('classification'),
  labels: z
    .array(z.string().min(1))
    .min(2)
    .refine((labels) => new Set(labels).size === labels.length, 'labels must be unique'),
  instruction: z.string().min(1),
  /** Whether an input is text (sent as is) or an image (a flat pixel array, sent as a PNG). */
  inputKind: z.enum(['text', 'image']).default('text'),
});

export const LargeModelSchema = z.strictObject({
  /** One of the operator's declared endpoints (never a URL: the endpoint's key goes only to it). */
  endpoint: EndpointNameSchema.default(DEFAULT_ENDPOINT),
  model: z.string().min(1).max(200),
  pricing: z.strictObject({
    inputPer1M: z.number().nonnegative(),
    outputPer1M: z.number().nonnegative(),
  }),
  /** At most the endpoint's ceiling; unset: the ceiling. */
  rateLimitRpm: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().default(8),
  temperature: z.number().min(0).max(2).default(0),
});

export const ManifestSchema = z.strictObject({
  /** Human name of the run; the run id is derived from it and the manifest's ETag. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'letters, digits, ".", "_" and "-", at most 80')
    .optional(),
  task: TaskSchema,
  input: z.strictObject({
    /** s3://bucket/key, or a key in the run bucket; readable scopes are the operator's (INPUT_SCOPES). */
    uri: z.string().min(1).superRefine(checkedBy((uri) => parseObjectUri(uri, 'run-bucket'))),
    format: z.literal('jsonl').default('jsonl'),
  }),
  smallModel: z.strictObject({
    name: ModelNameSchema,
    /** Pins a version of the specific model; the registry's current pointer otherwise. */
    version: ModelNameSchema.optional(),
    /** Use the learnable (2CD) model when one is registered. */
    useLearnable: z.boolean().default(true),
  }),
  largeModel: LargeModelSchema,
  /** A number, or a target whose number ingest reads from the model version's calibration record. */
  delta: z.union([z.number().gt(0).lte(1), DeltaTargetSpecSchema], { error: 'a number in (0, 1], or {"target": "max-accuracy" | "match-large" | "budget", ...}' }),
  /**
   * shunt: DS+ (Algorithm 2). small-only / large-only send every row to one side: the baselines a
   * team measures DS+ against, through the same pipeline and report.
   */
  strategy: z.enum(['shunt', 'small-only', 'large-only']).default('shunt'),
  promptMode: PromptModeSchema.default('soft'),
  /** Soft prompt: list classes whose probability is at least this; hard prompt: drop classes below it. */
  promptPruneThreshold: z.number().min(0).max(1).default(0.01),
  budgetUsd: z.number().positive(),
  /** The run fails when more than this share of its rows is rejected (it always fails when all are). */
  maxRejectShare: z.number().min(0).max(1).optional(),
  /** One of the operator's output prefixes (OUTPUT_PREFIXES), in the run bucket. */
  output: z.strictObject({ prefix: z.string().superRefine(checkedBy((p) => checkKeyPrefix(p, 'output.prefix'))).default('runs/') }).default({ prefix: 'runs/' }),
  shardSize: z.number().int().min(1).max(50_000).default(5_000),
  /** evaluation: a run that measures, never a source of 2CD training rows unless named explicitly. */
  purpose: z.enum(['production', 'evaluation']).default('production'),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestInput = z.input<typeof ManifestSchema>;
/** The manifest a run works from (its snapshot): delta resolved to the number every worker uses. */
export type RunManifest = Omit<Manifest, 'delta'> & { delta: number };
export type LargeModelSpec = z.infer<typeof LargeModelSchema>;
