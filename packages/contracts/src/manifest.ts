import { z } from 'zod';
import { DeltaTargetSpecSchema } from './calibration.js';
import { DEFAULT_ENDPOINT, EndpointNameSchema } from './endpoints.js';
import { checkKeyPrefix, parseInputUri } from './object-scope.js';
import { RESULT_TABLE_COLUMNS, probabilityColumn } from './rows.js';

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

/**
 * How a dataset object is read. The ".gz" variants name gzip'd text; gzip is also recognised by its
 * magic bytes whatever the format says, so declaring it is never required.
 */
export const InputFormatSchema = z.enum(['jsonl', 'jsonl.gz', 'csv', 'csv.gz', 'parquet']);
export type InputFormat = z.infer<typeof InputFormatSchema>;

/** A column of the user's dataset: a CSV header, a Parquet column or a JSON key. */
const ColumnNameSchema = z.string().min(1).max(256);

/**
 * Which of the user's columns hold a row's id, input and gold label, so that a dataset need not be
 * renamed. The input is one of text, pixels (a flat array of values) or image (PNG/JPEG bytes, or
 * their base64). Unset entries default to "id", "input" and "label".
 */
export const FieldMappingSchema = z.strictObject({
  id: ColumnNameSchema.optional(),
  text: ColumnNameSchema.optional(),
  pixels: ColumnNameSchema.optional(),
  image: ColumnNameSchema.optional(),
  label: ColumnNameSchema.optional(),
});
export type FieldMapping = z.infer<typeof FieldMappingSchema>;

/** results.jsonl is always written; the others are written next to it. */
export const OutputFormatSchema = z.enum(['jsonl', 'csv', 'parquet']);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

const unique = (values: readonly string[]) => new Set(values).size === values.length;

export const OutputSchema = z.strictObject({
  /** One of the operator's output prefixes (OUTPUT_PREFIXES), in the run bucket. */
  prefix: z.string().superRefine(checkedBy((p) => checkKeyPrefix(p, 'output.prefix'))).default('runs/'),
  /** Input columns carried into each result: under "columns" in JSONL, as columns of their own in CSV and Parquet. */
  include: z.array(ColumnNameSchema).max(100).refine(unique, 'columns must not repeat').optional(),
  formats: z.array(OutputFormatSchema).min(1).refine(unique, 'formats must not repeat').optional(),
  /** Each result carries the specific small model's probability for every label. */
  probabilities: z.boolean().optional(),
});
export type OutputSpec = z.infer<typeof OutputSchema>;

const TokenPriceSchema = z.strictObject({
  inputPer1M: z.number().nonnegative(),
  outputPer1M: z.number().nonnegative(),
});

/** How hard rows reach the large model: one chat completion each, or the provider's batch interface (files + batches). */
export const LargeModelModeSchema = z.enum(['sync', 'batch']);
export type LargeModelMode = z.infer<typeof LargeModelModeSchema>;

export const LargeModelSchema = z.strictObject({
  /** One of the operator's declared endpoints (never a URL: the endpoint's key goes only to it). */
  endpoint: EndpointNameSchema.default(DEFAULT_ENDPOINT),
  model: z.string().min(1).max(200),
  /** Prices of synchronous calls; `batch`: the provider's batch price (required in batch mode, typically half). */
  pricing: TokenPriceSchema.extend({ batch: TokenPriceSchema.optional() }),
  mode: LargeModelModeSchema.default('sync'),
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
    /**
     * s3://bucket/key, or a key in the run bucket; a URI ending in "/" is every object under that
     * prefix, in key order. Readable scopes are the operator's (INPUT_SCOPES).
     */
    uri: z.string().min(1).superRefine(checkedBy((uri) => parseInputUri(uri, 'run-bucket'))),
    /** Unset: from each object's extension, else JSONL (and Parquet when the bytes say so). */
    format: InputFormatSchema.optional(),
    fields: FieldMappingSchema.optional(),
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
  output: OutputSchema.default({ prefix: 'runs/' }),
  shardSize: z.number().int().min(1).max(50_000).default(5_000),
  /** evaluation: a run that measures, never a source of 2CD training rows unless named explicitly. */
  purpose: z.enum(['production', 'evaluation']).default('production'),
});

type FieldIssue = { path: string; message: string };

/**
 * What the schema cannot say field by field: the input mapped as the task's kind of input, once, no
 * column in two roles, and carried columns that do not clash with the results' own in a table. Kept
 * out of ManifestSchema so that it stays a plain object schema (others derive partial schemas from it).
 */
export function manifestFieldIssues(manifest: Manifest): FieldIssue[] {
  return [
    ...fieldMappingIssues(manifest.task.inputKind, manifest.input.fields ?? {}),
    ...tableColumnIssues(manifest.task.labels, manifest.output),
    ...batchModeIssues(manifest.largeModel),
  ];
}

/** Batch mode is priced at the batch price, so the manifest must say what it is. */
function batchModeIssues(largeModel: LargeModelSpec): FieldIssue[] {
  if (largeModel.mode !== 'batch' || largeModel.pricing.batch) return [];
  return [{ path: 'largeModel.pricing.batch', message: 'largeModel.mode "batch" needs the batch price: {"inputPer1M": N, "outputPer1M": N}' }];
}

/** The input must be mapped as the task's kind, once, and no column may serve two roles. */
function fieldMappingIssues(inputKind: 'text' | 'image', fields: FieldMapping): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const inputs = (['text', 'pixels', 'image'] as const).filter((role) => fields[role] !== undefined);
  if (inputs.length > 1) issues.push({ path: 'input.fields', message: `map the input once: ${inputs.join(' and ')} are both set` });
  for (const role of inputs) {
    if ((role === 'text') !== (inputKind === 'text')) {
      const want = inputKind === 'text' ? '"text"' : '"pixels" or "image"';
      issues.push({ path: `input.fields.${role}`, message: `task.inputKind is "${inputKind}": map its input with ${want}` });
    }
  }
  const seen = new Map<string, string>();
  for (const role of ['id', 'text', 'pixels', 'image', 'label'] as const) {
    const column = fields[role];
    if (column === undefined) continue;
    const other = seen.get(column);
    if (other) issues.push({ path: `input.fields.${role}`, message: `column "${column}" is already mapped as ${other}` });
    seen.set(column, role);
  }
  return issues;
}

/** Carried columns become columns of results.csv / results.parquet: their names must not clash with the results' own. */
function tableColumnIssues(labels: string[], output: OutputSpec): FieldIssue[] {
  if (!output.include || !output.formats?.some((f) => f !== 'jsonl')) return [];
  const own = new Set<string>([...RESULT_TABLE_COLUMNS, ...(output.probabilities ? labels.map(probabilityColumn) : [])]);
  return output.include
    .filter((column) => own.has(column))
    .map((column) => ({ path: 'output.include', message: `column "${column}" would clash with the results column of that name in results.${output.formats!.filter((f) => f !== 'jsonl').join('/')}` }));
}

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestInput = z.input<typeof ManifestSchema>;
/** The manifest a run works from (its snapshot): delta resolved to the number every worker uses. */
export type RunManifest = Omit<Manifest, 'delta'> & { delta: number };
export type LargeModelSpec = z.infer<typeof LargeModelSchema>;
