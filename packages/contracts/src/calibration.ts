import { z } from 'zod';

/**
 * A manifest's `delta` as a target instead of a number: ingest reads the number from the calibration
 * record `datashunt calibrate` stored with the small model's version.
 */
export const DeltaTargetSpecSchema = z.discriminatedUnion('target', [
  z.strictObject({ target: z.literal('max-accuracy') }),
  /** Fewest large-model queries within `tolerance` (a fraction) of the large model's accuracy. */
  z.strictObject({ target: z.literal('match-large'), tolerance: z.number().min(0).lt(1).default(0.005) }),
  z
    .strictObject({ target: z.literal('budget'), maxQueryShare: z.number().min(0).max(1).optional(), maxUsdPer1k: z.number().nonnegative().optional() })
    .refine((b) => b.maxQueryShare !== undefined || b.maxUsdPer1k !== undefined, 'a budget target needs maxQueryShare or maxUsdPer1k'),
  /**
   * Chosen by the run itself (no calibration record): with probability >= 1 - alpha over its sampling,
   * DS+ agrees with the large model on at least T of the run's rows (metric "agreement"), or, for the
   * class `label`: at least T of the rows DS+ labels so are so labelled by the large model
   * ("precision"), or DS+ labels so at least T of the rows the large model labels so ("recall").
   */
  z
    .strictObject({
      target: z.literal('guarantee'),
      T: z.number().gt(0).lte(1).default(0.95),
      alpha: z.number().gt(0).lt(1).default(0.1),
      metric: z.enum(['agreement', 'precision', 'recall']).default('agreement'),
      label: z.string().min(1).optional(),
    })
    .refine((g) => (g.metric === 'agreement') === (g.label === undefined), 'a precision or recall guarantee names its class in label; an agreement guarantee has no label'),
], { error: 'target must be "max-accuracy", "match-large", "budget" or "guarantee"' });
export type DeltaTargetSpec = z.infer<typeof DeltaTargetSpecSchema>;
export type DeltaTargetName = DeltaTargetSpec['target'];
export type GuaranteeSpec = Extract<DeltaTargetSpec, { target: 'guarantee' }>;

/** Where a run's delta came from, in its snapshot and report. */
export const DeltaSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('manifest') }),
  z.object({ kind: z.literal('calibration'), target: DeltaTargetSpecSchema, calibratedAt: z.string(), modelVersion: z.string() }),
  /** The run's own sampling phase chose the threshold (the `guarantee` target). */
  z.object({
    kind: z.literal('guarantee'),
    target: DeltaTargetSpecSchema,
    method: z.enum(['bargain']),
    /** Rows with confidence >= threshold are the small models' (unless sampled); null: none certified, every row goes large. */
    threshold: z.number().nullable(),
    /** Rows whose large answers the sampling phase bought (they keep those answers), and rows it asked about in all. */
    rowsSampled: z.number().int(),
    rowsAsked: z.number().int(),
    /** The rows the walk ranked (the run's scored rows). */
    population: z.number().int(),
    /** The walk's own account: where it stopped and why. */
    reason: z.string(),
    /** When the sampling phase chose the threshold, and the specific model version whose confidences it ranked. */
    calibratedAt: z.string(),
    modelVersion: z.string(),
  }),
]);
export type DeltaSource = z.infer<typeof DeltaSourceSchema>;

const TallySchema = z.object({ correct: z.number().int(), accuracy: z.number() });

export const CurvePointSchema = z.object({
  delta: z.number(),
  smallRows: z.number().int(),
  largeRows: z.number().int(),
  correct: z.number().int(),
  accuracy: z.number(),
  queryShare: z.number(),
  dollarsPer1k: z.number(),
});

export const DeltaCurveSchema = z.object({
  /** gold: accuracy against labels; large-agreement: no labels, so "accuracy" is agreement with the large model. */
  basis: z.enum(['gold', 'large-agreement']),
  rows: z.number().int().positive(),
  largeCostPerCall: z.number().nonnegative(),
  smallOnly: TallySchema,
  largeOnly: TallySchema,
  points: z.array(CurvePointSchema).min(1),
});

export const DeltaChoiceSchema = z.union([
  z.object({ feasible: z.literal(true), point: CurvePointSchema, reason: z.string() }),
  z.object({ feasible: z.literal(false), reason: z.string() }),
]);

/** What `datashunt calibrate` measured for one small-model version: models/<name>/<version>/calibration.json. */
export const CalibrationRecordSchema = z.object({
  model: z.object({ name: z.string(), version: z.string() }),
  calibratedAt: z.string(),
  sample: z.object({
    /** Where the rows came from (a local path or s3:// URI) and where the sample run read them. */
    source: z.string(),
    key: z.string(),
    rows: z.number().int().positive(),
    /** The seed of the draw; null when every row of a labelled file was used. */
    seed: z.number().int().nullable(),
    labelled: z.boolean(),
  }),
  largeModel: z.object({
    endpoint: z.string(),
    model: z.string(),
    pricing: z.object({ inputPer1M: z.number(), outputPer1M: z.number() }),
    promptMode: z.string(),
  }),
  runs: z.object({ smallOnly: z.string(), largeOnly: z.string() }),
  largeModelCalls: z.object({ paid: z.number().int(), cached: z.number().int() }),
  curve: DeltaCurveSchema,
  /** The choice for each target calibrate was asked about (max-accuracy and match-large always). */
  choices: z.array(z.object({ target: DeltaTargetSpecSchema, choice: DeltaChoiceSchema })),
});
export type CalibrationRecord = z.infer<typeof CalibrationRecordSchema>;
