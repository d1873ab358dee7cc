import { z } from 'zod';
import { DeltaSourceSchema } from './calibration.js';
import { ResultSourceSchema, TokensSchema } from './rows.js';

const AccuracySchema = z.object({ correct: z.number().int(), total: z.number().int(), accuracy: z.number().nullable() });
export type AccuracyCell = z.infer<typeof AccuracySchema>;

/** How a run ended: a run that could not do its job is failed, never a quiet success. */
export const RunStatusSchema = z.enum(['running', 'succeeded', 'succeeded-with-warnings', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const ReportSchema = z.object({
  runId: z.string(),
  // Defaults read reports written before runs had a status.
  status: RunStatusSchema.default('succeeded'),
  /** Why the run failed; null otherwise. */
  failure: z.string().nullable().default(null),
  /** What a person should look at even though the run did its job (rejects, fallbacks). */
  warnings: z.array(z.string()).default([]),
  manifestKey: z.string(),
  createdAt: z.string(),
  finishedAt: z.string(),
  delta: z.number(),
  /** The manifest's number, or the calibration record a target was resolved from. Default: reports written before delta targets. */
  deltaSource: DeltaSourceSchema.default({ kind: 'manifest' }),
  promptMode: z.string(),
  largeModel: z.string(),
  modelVersions: z.object({ specific: z.string(), learnable: z.string().nullable() }),
  rows: z.number().int(),
  results: z.number().int(),
  rejects: z.number().int(),
  /** Rows of shards that failed for good (a failed run); `datashunt runs resume` finishes them. */
  unfinishedRows: z.number().int().default(0),
  bySource: z.record(ResultSourceSchema, z.number().int()),
  fallbackReasons: z.record(z.string(), z.number().int()),
  /** Share of result rows the large model was asked about (paid or cached). */
  queryProportion: z.number(),
  largeModelCalls: z.object({ paid: z.number().int(), cached: z.number().int() }),
  /**
   * Every request sent to the large model, retries included, as the budget meter counted them:
   * answered (confirmed paid) and timed out or cut off (possibly billed: charged against the budget,
   * not counted in costUsd). Null for reports written before it was kept.
   */
  requests: z
    .object({ sent: z.number().int(), paid: z.number().int(), possiblyPaid: z.number().int(), possiblyPaidUsd: z.number() })
    .nullable()
    .default(null),
  tokens: TokensSchema,
  costUsd: z.number(),
  /**
   * Rows the large model answered through the batch interface (paid, not cached), what they cost at the
   * batch price, what the same tokens cost at the synchronous price, and the difference. Null: no batch rows.
   */
  batch: z
    .object({ rows: z.number().int(), tokens: TokensSchema, costUsd: z.number(), syncCostUsd: z.number(), savedUsd: z.number() })
    .nullable()
    .default(null),
  budgetUsd: z.number(),
  accuracy: z
    .object({
      overall: AccuracySchema,
      perClass: z.record(z.string(), AccuracySchema),
      bySource: z.record(z.string(), AccuracySchema),
    })
    .nullable(),
  wallSeconds: z.number(),
});
export type Report = z.infer<typeof ReportSchema>;

export const ManifestErrorSchema = z.object({
  manifestKey: z.string(),
  /** The refused version; `datashunt submit` of the same bytes says so at once (absent in errors written before it was kept). */
  manifestEtag: z.string().optional(),
  at: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});
export type ManifestError = z.infer<typeof ManifestErrorSchema>;
