import { z } from 'zod';
import { InputRangeSchema } from './input-range.js';
import { LlmCallResultSchema, RowIdSchema } from './rows.js';

/** Retention applied to every job: enough to inspect recent runs in Bull Board without growing Redis. */
const kept = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** Options a job of the catalog may carry; a subset of BullMQ's JobsOptions so this package stays I/O-free. */
export interface CatalogJobOptions {
  /**
   * Retried through an outage of S3, Redis or the network: the producer raises `attempts` so that the
   * exponential backoff spans the configured outage window (OUTAGE_RETRY_WINDOW_MS).
   */
  ridesOutOutages?: boolean;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number };
}

/** Every run job names its run and where the run lives (the manifest's output prefix). */
const RunRef = z.object({ runId: z.string(), outputPrefix: z.string() });

const ShardRef = RunRef.extend({
  shard: z.number().int().nonnegative(),
  /** The run's attempt (0 first, +1 per resume): part of its jobs' ids, so a resume never collides with kept jobs of an earlier attempt. */
  attempt: z.number().int().nonnegative().default(0),
});

/** A shard is read straight from the input: the job names its range. */
const ScoreShard = ShardRef.extend({ range: InputRangeSchema });

/**
 * References to up to LLM_ROWS_PER_JOB hard rows of one shard: their inputs, probabilities and fallback
 * labels are in the shard's hard-rows object in S3 (runKeys().hardRows), so row text never sits in
 * Redis or shows in the dashboard. Each row is asked on its own (its own rate-limit slot, budget,
 * cache entry and call key); the job returns `{ rows: LlmCallResult[] }`, one per row, in order.
 */
const LlmCall = RunRef.extend({
  shard: z.number().int().nonnegative(),
  rows: z.array(z.object({ line: z.number().int().positive(), rowId: RowIdSchema })).min(1),
  /** Timed-out sends so far, by line: they have their own small retry count, as each may have been billed. */
  timeouts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** When the job was delayed to a slot of its run's own rate limit: the slot is booked and is its own. */
  runSlotAt: z.number().int().optional(),
  /** Rows finished by an earlier attempt (kept when the job was delayed, paused or failed): not asked again. */
  done: z.array(LlmCallResultSchema).optional(),
  /** A guarantee run's sampling call, of this round (its rows are among the shard's hard rows, as every row of such a run is). */
  sampleRound: z.number().int().nonnegative().optional(),
});

/**
 * A shard's hard rows with lines fromLine..toLine (a part of at most the provider's per-file limits),
 * asked through the provider's batch interface. The rest is the job's progress, kept in its data so a
 * retry or a poll carries on: the round (each resubmits the rows still unanswered), the batches of the
 * round in flight, and the rows the budget refused (they are not asked again).
 */
const LlmBatch = RunRef.extend({
  shard: z.number().int().nonnegative(),
  fromLine: z.number().int().positive(),
  toLine: z.number().int().positive(),
  round: z.number().int().nonnegative().default(0),
  batchIds: z.array(z.string()).default([]),
  overBudgetLines: z.array(z.number().int().positive()).default([]),
});

/**
 * A guarantee run routes after its sampling phase, without a score child: the job carries the
 * threshold, the versions that scored (and the lines the shard held), and the large answers the sampling bought for the shard's rows
 * (labels and costs, no row text), which those rows keep.
 */
const RouteShard = ShardRef.extend({
  guarantee: z
    .object({
      threshold: z.number().nullable(),
      sampled: z.array(LlmCallResultSchema),
      versions: z.object({ specificVersion: z.string(), learnableVersion: z.string().nullable(), lines: z.number().int().nonnegative() }),
    })
    .optional(),
});

/**
 * The queue catalog: every job name, its payload schema, its queue and default options. Producers and
 * workers both import it, so a payload is checked at both ends.
 */
export const catalog = {
  'manifest-sweep': {
    queue: 'ingest',
    schema: z.object({ prefix: z.string().optional() }),
    options: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 }, ...kept },
  },
  'manifest-ingest': {
    queue: 'ingest',
    schema: z.object({
      bucket: z.string(),
      key: z.string(),
      etag: z.string(),
      /** Set by `datashunt runs resume`: finish a failed run from its snapshot, keeping its finished shards. */
      resume: RunRef.optional(),
    }),
    options: { ridesOutOutages: true, attempts: 5, backoff: { type: 'exponential', delay: 2_000 }, ...kept },
  },
  'score-shard': {
    queue: 'score',
    schema: ScoreShard,
    options: { ridesOutOutages: true, attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, ...kept },
  },
  'route-shard': {
    queue: 'route',
    schema: RouteShard,
    options: { ridesOutOutages: true, attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, ...kept },
  },
  'llm-call': {
    queue: 'llm',
    schema: LlmCall,
    options: { ridesOutOutages: true, attempts: 6, backoff: { type: 'exponential', delay: 1_000 }, ...kept },
  },
  'llm-batch': {
    queue: 'llm',
    schema: LlmBatch,
    options: { ridesOutOutages: true, attempts: 6, backoff: { type: 'exponential', delay: 2_000 }, ...kept },
  },
  'finalize-run': {
    queue: 'finalize',
    schema: RunRef.extend({
      shards: z.number().int().nonnegative(),
      attempt: z.number().int().nonnegative().default(0),
      /** The run's manifest-ingest job, which settles its shards: finalize gives up if it ends without doing so. */
      ingestJobId: z.string(),
    }),
    options: { ridesOutOutages: true, attempts: 5, backoff: { type: 'exponential', delay: 2_000 }, ...kept },
  },
  distill: {
    queue: 'distill',
    schema: z.object({
      modelName: z.string(),
      runIds: z.array(z.string()).optional(),
      /** Without runIds: also learn from runs whose rows carry gold labels (left out by default, as likely evaluation data). */
      includeLabelled: z.boolean().optional(),
    }),
    options: { attempts: 2, backoff: { type: 'exponential', delay: 10_000 }, ...kept },
  },
} as const satisfies Record<string, { queue: string; schema: z.ZodType; options: CatalogJobOptions }>;

export type JobName = keyof typeof catalog;

/**
 * Attempts whose exponential backoff (firstDelayMs, doubling) adds up to at least windowMs, so that a
 * job outlasts an outage of that length; never fewer than the catalog's own attempts.
 */
export function attemptsToRideOut(windowMs: number, firstDelayMs: number, atLeast: number): number {
  let attempts = 1;
  let waited = 0;
  while (waited < windowMs) {
    waited += firstDelayMs * 2 ** (attempts - 1);
    attempts += 1;
  }
  return Math.max(attempts, atLeast);
}
export type JobPayload<N extends JobName> = z.infer<(typeof catalog)[N]['schema']>;
export type QueueName = (typeof catalog)[JobName]['queue'];
export const queueNames = [...new Set(Object.values(catalog).map((entry) => entry.queue))] as QueueName[];

export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(catalog) as JobName[]).filter((name) => catalog[name].queue === queue);
}

export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return catalog[name].schema.parse(data) as JobPayload<N>;
}

/** The id parts that name a run's attempt: the first attempt's ids stay as they always were. */
export function attemptParts(runId: string, attempt: number): string[] {
  return attempt > 0 ? [runId, `a${attempt}`] : [runId];
}

/** BullMQ job ids must not contain ':'; ids are built from these parts only. */
export function jobId(name: JobName, ...parts: Array<string | number>): string {
  return [name, ...parts].join('.').replace(/[^A-Za-z0-9._-]/g, '_');
}
