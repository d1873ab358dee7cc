import { z } from 'zod';

export const RowIdSchema = z.union([z.string().min(1), z.number().int()]);

/** One dataset line. Text tasks take a string; image tasks a flat array of pixel values. */
export const DatasetRowSchema = z.object({
  id: RowIdSchema,
  input: z.union([z.string().min(1), z.array(z.number().finite()).min(1)]),
  label: z.string().optional(),
});
export type DatasetRow = z.infer<typeof DatasetRowSchema>;

export const ResultSourceSchema = z.enum(['small', 'learnable', 'large', 'fallback']);
export type ResultSource = z.infer<typeof ResultSourceSchema>;

/** Why a row that needed the large model ended with the small model's answer instead (cancelled: the run was cancelled before it was asked). */
export const FallbackReasonSchema = z.enum(['unresolved', 'over_budget', 'llm_error', 'cancelled']);
export type FallbackReason = z.infer<typeof FallbackReasonSchema>;

export const TokensSchema = z.object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() });
export type Tokens = z.infer<typeof TokensSchema>;

export const ResultRecordSchema = z.object({
  id: RowIdSchema,
  line: z.number().int().positive(),
  label: z.string(),
  source: ResultSourceSchema,
  c_s1: z.number(),
  c_s2: z.number().nullable(),
  c_l: z.number().nullable(),
  tokens: TokensSchema,
  cost: z.number().nonnegative(),
  modelVersion: z.string(),
  fallbackReason: FallbackReasonSchema.optional(),
  /** What went wrong when the large model was asked but gave no usable answer. */
  error: z.string().optional(),
  /** Set when the large model's answer came from the response cache (nothing was paid). */
  cached: z.boolean().optional(),
  /** Set when the large model answered through the provider's batch interface (priced at the batch price). */
  batch: z.boolean().optional(),
  gold: z.string().optional(),
  /** The specific small model's probability per label (output.probabilities). */
  probabilities: z.record(z.string(), z.number()).optional(),
  /** Input columns carried through (output.include), as read; null where a row lacks one. */
  columns: z.record(z.string(), z.unknown()).optional(),
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;

export const RejectRecordSchema = z.object({
  line: z.number().int().positive(),
  id: RowIdSchema.optional(),
  reason: z.string(),
  /** The start of the offending line, so a user can find it without the whole payload. */
  excerpt: z.string().optional(),
  /** For an input of many objects (a prefix): the object the row came from, and its line or record number there. */
  object: z.string().optional(),
  objectLine: z.number().int().positive().optional(),
});
export type RejectRecord = z.infer<typeof RejectRecordSchema>;

/** What an llm-call job returns to its route parent: the large model's answer for one row, or the fallback. */
export const LlmCallResultSchema = z.object({
  line: z.number().int().positive(),
  label: z.string(),
  source: z.enum(['large', 'fallback']),
  c_l: z.number().nullable(),
  tokens: TokensSchema,
  cost: z.number().nonnegative(),
  cached: z.boolean(),
  /** Answered through the provider's batch interface. */
  batch: z.boolean().optional(),
  fallbackReason: FallbackReasonSchema.optional(),
  error: z.string().optional(),
});
export type LlmCallResult = z.infer<typeof LlmCallResultSchema>;

/** What a grouped large-model job (llm-call, llm-batch) returns to its parent: one result per row it was given. */
export const LlmCallResultsSchema = z.object({ rows: z.array(LlmCallResultSchema) });
export type LlmCallResults = z.infer<typeof LlmCallResultsSchema>;

/** The per-row results in a large-model job's return value; none when it is something else (a score result). */
export function llmCallResultsOf(value: unknown): LlmCallResult[] {
  const parsed = LlmCallResultsSchema.safeParse(value);
  return parsed.success ? parsed.data.rows : [];
}

/** Consecutive groups of at most `size` items, in order: hard rows into jobs of k rows. */
export function inGroupsOf<T>(items: T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`group size must be a positive integer, got ${size}`);
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

/**
 * The columns of results.csv and results.parquet, in order, before the probability columns (one per
 * label) and the carried input columns: a ResultRecord with its tokens split in two.
 */
export const RESULT_TABLE_COLUMNS = ['id', 'line', 'label', 'source', 'c_s1', 'c_s2', 'c_l', 'tokens_input', 'tokens_output', 'cost', 'modelVersion', 'fallbackReason', 'error', 'cached', 'gold'] as const;

export function probabilityColumn(label: string): string {
  return `p_${label}`;
}
