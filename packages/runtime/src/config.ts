import { z } from 'zod';
import { loadOperatorPolicy, type OperatorPolicy } from './operator-policy.js';
import { hashTagOf, RedisTargetSchema, type RedisTarget } from './redis-target.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const csv = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Every setting of every service, from the environment, parsed once at start-up. */
export const ConfigSchema = z.object({
  /** One server (redis://, rediss://) or a cluster's nodes (redis-cluster://h:p,h:p); see RedisTargetSchema. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /**
   * BullMQ key prefix: lets several deployments (or test runs) share one Redis. It may hold one Redis
   * Cluster hash tag (`{ds}`), which a cluster requires (see hashTagOf).
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*(?:\{[A-Za-z0-9_-]+\}[A-Za-z0-9_-]*)?$/, 'letters, digits, _ and -, with at most one {tag}, e.g. {ds}')
    .min(1)
    .default('ds'),
  // A scheme is required: the SDK would read `localhost:9000` as scheme "localhost".
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://localhost:9000' }).optional(),
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
  /**
   * The operator's large-model endpoints, as JSON or in a JSON file (docs/security.md). Unset: one
   * endpoint, "default", at OPENAI_BASE_URL with OPENAI_API_KEY and OPENAI_MAX_RPM.
   */
  LLM_ENDPOINTS: z.string().optional(),
  LLM_ENDPOINTS_FILE: z.string().optional(),
  OPENAI_MAX_RPM: z.coerce.number().int().positive().default(10_000),
  /**
   * The longest an llm-caller waits for a rate-limit slot while holding a worker slot; a call whose
   * slot is further away is delayed instead, so one run's low limit never occupies other runs' workers.
   */
  LLM_MAX_RATE_WAIT_MS: z.coerce.number().int().positive().default(2_000),
  /** Where manifests may read input: "bucket/prefix/" entries. Unset: the run bucket's datasets/. */
  INPUT_SCOPES: csv.optional(),
  /** The output prefixes (in the run bucket) a manifest may choose. */
  OUTPUT_PREFIXES: csv.default(['runs/']),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** How often a row is sent again after a timeout (each timed-out send may be billed) before it falls back. */
  LLM_TIMEOUT_RETRIES: z.coerce.number().int().nonnegative().default(1),
  /** Batch mode: how often an llm-batch job looks at its batches (it holds no worker slot between looks). */
  LLM_BATCH_POLL_MS: z.coerce.number().int().positive().default(30_000),
  /** Batch mode: how many new batches a job sends for lines that failed or expired before they fall back. */
  LLM_BATCH_RETRIES: z.coerce.number().int().nonnegative().default(2),
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
  /**
   * Hard rows per llm-call job (the router and the guarantee sampling group them): each row is still
   * asked on its own, one after the other, so a job holds one worker slot for k requests; fewer jobs
   * cost Redis fewer commands per row. 1 gives one job per row.
   */
  LLM_ROWS_PER_JOB: z.coerce.number().int().positive().default(10),
  /**
   * Runs one finalize process writes at once. A finalize job lasts as long as its run (it writes shards
   * as they are routed), so a run beyond this many starts writing once another ends.
   */
  FINALIZE_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /**
   * Shards whose parts finalize fetches while it writes an earlier one, so it waits on S3 once, not
   * once per shard. Each holds one part in memory (about 150 bytes per row, more with columns).
   */
  FINALIZE_READ_AHEAD: z.coerce.number().int().nonnegative().default(4),
  /**
   * A job's lock, renewed every half of it while the job runs: how long a crashed worker's job waits
   * before another worker takes it over. Services whose jobs block the event loop set their own.
   */
  JOB_LOCK_MS: z.coerce.number().int().positive().default(30_000),
  /** How often a worker looks for jobs whose lock expired (their worker died) to run them again. */
  STALLED_CHECK_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * How long jobs that touch S3, Redis or the network keep retrying (exponential backoff) before they
   * fail for good: an outage shorter than this delays a run but costs no row and no paid answer.
   */
  OUTAGE_RETRY_WINDOW_MS: z.coerce.number().int().nonnegative().default(300_000),
  /** Grace period for in-flight jobs on SIGTERM; keep the pod's terminationGracePeriodSeconds above it. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // metrics and probes
  /**
   * Export queue depth by state (datashunt_queue_jobs) on METRICS_PORT. Set it on exactly one Deployment:
   * every pod reads the same Redis, so more exporters would multiply a sum over pods.
   */
  METRICS_QUEUE_DEPTH: bool.default(false),
  // dashboard and webhook security
  /** Every listener binds to loopback unless the deployment names an address (0.0.0.0 in a pod). */
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  INGEST_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** basic: user + password; proxy: an authenticating proxy's header; none: read-only, loopback only. */
  DASHBOARD_AUTH: z.enum(['basic', 'proxy', 'none']).default('basic'),
  /** The read-only user of basic mode; its password (or a file holding it) is required in that mode. */
  DASHBOARD_USER: z.string().min(1).regex(/^[^:]+$/).default('viewer'),
  DASHBOARD_PASSWORD: z.string().min(1).optional(),
  DASHBOARD_PASSWORD_FILE: z.string().min(1).optional(),
  /** The user allowed write actions (add, retry, clean, pause, remove schedulers); none without a password. */
  DASHBOARD_WRITER_USER: z.string().min(1).regex(/^[^:]+$/).default('operator'),
  DASHBOARD_WRITER_PASSWORD: z.string().min(1).optional(),
  DASHBOARD_WRITER_PASSWORD_FILE: z.string().min(1).optional(),
  /** proxy mode: the header naming the authenticated user, and the groups header and group that may write. */
  DASHBOARD_PROXY_USER_HEADER: z.string().min(1).transform((v) => v.toLowerCase()).default('x-forwarded-user'),
  DASHBOARD_PROXY_GROUPS_HEADER: z.string().min(1).transform((v) => v.toLowerCase()).default('x-forwarded-groups'),
  DASHBOARD_PROXY_WRITER_GROUP: z.string().min(1).optional(),
  /** secret: POST /notifications needs the shared secret (Bearer token or HMAC); none: loopback only. */
  WEBHOOK_AUTH: z.enum(['secret', 'none']).default('secret'),
  WEBHOOK_SECRET: z.string().min(1).optional(),
  WEBHOOK_SECRET_FILE: z.string().min(1).optional(),
  // line reading, rejects and Redis checks
  /**
   * Whether a reject carries the start of its line (`excerpt`). Off by default: an input can be any
   * object a manifest names, and rejects must not copy its contents into run outputs.
   */
  REJECT_EXCERPTS: bool.default(false),
  /**
   * A gzip'd or CSV input object larger than this is staged by ingest as shards of records (it cannot
   * be cut by bytes); a smaller one is one shard, read whole by one scorer.
   */
  STAGE_ABOVE_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  /** At start-up, warn when Redis has AOF off or evicts keys (CONFIG GET); off where CONFIG is not wanted at all. */
  REDIS_CHECK_SETTINGS: bool.default(true),
});

/** `redis` is REDIS_URL parsed: where the clients connect. */
export type Config = z.infer<typeof ConfigSchema> & OperatorPolicy & { redis: RedisTarget };

/** An expected reason a process cannot start (bad settings, an unreachable Redis or S3): printed as one line, no stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export class ConfigError extends StartupError {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(known);
  const redis = ConfigSchema.shape.REDIS_URL.pipe(RedisTargetSchema).safeParse(known.REDIS_URL);
  if (!parsed.success || !redis.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(redis.error?.issues.map((i) => ({ ...i, path: ['REDIS_URL'] })) ?? [])];
    const lines = issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  if (redis.data.cluster && !hashTagOf(parsed.data.QUEUE_PREFIX)) {
    const tagged = `{${parsed.data.QUEUE_PREFIX}}`;
    throw new ConfigError(`QUEUE_PREFIX "${parsed.data.QUEUE_PREFIX}" has no hash tag, which a Redis Cluster needs to keep each flow's queue keys in one slot: set QUEUE_PREFIX=${tagged}`);
  }
  const policy = loadOperatorPolicy(parsed.data, env);
  if (!policy.ok) throw new ConfigError(`invalid configuration:\n${policy.problems.map((p) => `  ${p}`).join('\n')}`);
  return { ...parsed.data, ...policy.value, redis: redis.data };
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
