import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const csv = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Every setting of every service, from the environment, parsed once at start-up. */
export const ConfigSchema = z.object({
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix: lets several deployments (or test runs) share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('ds'),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_BUCKET: z.string().min(3).default('datashunt'),
  S3_FORCE_PATH_STYLE: bool.default(true),
  MANIFEST_PREFIX: z.string().default('manifests/'),
  SWEEP_EVERY_MS: z.coerce.number().int().min(0).default(30_000),
  INGEST_HTTP_PORT: z.coerce.number().int().min(0).default(8081),
  DASHBOARD_PORT: z.coerce.number().int().min(0).default(3000),
  /** When set, each process serves Prometheus metrics (job counters and queue counts) on this port. */
  METRICS_PORT: z.coerce.number().int().min(0).optional(),
  OPENAI_BASE_URL: z.url().default('http://127.0.0.1:8090/v1'),
  OPENAI_API_KEY: z.string().min(1).default('local-reference-llm'),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  SCORER_EXECUTION_PROVIDERS: csv.default(['cpu']),
  SCORER_BATCH_SIZE: z.coerce.number().int().positive().default(256),
  /**
   * onnxruntime's intra-op threads per session (unset: one per core). Where other services share the
   * cores, 1 avoids its spinning threads taking CPU the pipeline's other stages need.
   */
  SCORER_INTRA_OP_THREADS: z.coerce.number().int().positive().optional(),
  INGEST_CONCURRENCY: z.coerce.number().int().positive().default(2),
  SCORE_CONCURRENCY: z.coerce.number().int().positive().default(1),
  ROUTE_CONCURRENCY: z.coerce.number().int().positive().default(4),
  LLM_CONCURRENCY: z.coerce.number().int().positive().default(16),
  FINALIZE_CONCURRENCY: z.coerce.number().int().positive().default(1),
  /**
   * A job's lock, renewed every half of it while the job runs: how long a crashed worker's job waits
   * before another worker takes it over. Services whose jobs block the event loop set their own.
   */
  JOB_LOCK_MS: z.coerce.number().int().positive().default(30_000),
  /** How often a worker looks for jobs whose lock expired (their worker died) to run them again. */
  STALLED_CHECK_MS: z.coerce.number().int().positive().default(30_000),
  /** Grace period for in-flight jobs on SIGTERM; keep the pod's terminationGracePeriodSeconds above it. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // line reading, rejects and Redis checks
  /**
   * Whether a reject carries the start of its line (`excerpt`). Off by default: an input can be any
   * object a manifest names, and rejects must not copy its contents into run outputs.
   */
  REJECT_EXCERPTS: bool.default(false),
  /** At start-up, warn when Redis has AOF off or evicts keys (CONFIG GET); off where CONFIG is not wanted at all. */
  REDIS_CHECK_SETTINGS: bool.default(true),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function s3OptionsOf(config: Config) {
  return {
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  };
}
