import { QueueEvents } from 'bullmq';
import type { Config } from './config.js';
import { bullConnection, createRedis, type RedisClient } from './connections.js';
import { createLogger } from './logger.js';
import { RedisOutageLog } from './redis-outages.js';
import { describeRedisTarget } from './redis-target.js';

export type RunOutcome =
  | { status: 'finished'; runId: string; reportKey: string }
  | { status: 'invalid'; manifestKey: string; errorKey: string; message: string };

/**
 * Waits for the end of the run a manifest starts, from BullMQ's queue events rather than polling:
 * ingest reports the run id (or an invalid manifest), finalize reports the finished run. Subscribe
 * before the manifest is dropped, then call `wait`.
 */
export class RunWatcher {
  private readonly ingest: QueueEvents;
  private readonly finalize: QueueEvents;
  private readonly runIds = new Map<string, string>();
  private readonly finished = new Map<string, { runId: string; reportKey: string }>();
  private readonly invalid = new Map<string, { errorKey: string; message: string }>();
  private readonly listeners = new Set<() => void>();
  /** On a cluster, the client the queue events duplicate when the caller shares none (see bullConnection). */
  private readonly ownClient?: RedisClient;

  /**
   * Pass the runtime's `redisOutages` and `redis` where there is one, so an outage is logged once for
   * the process and a cluster's events share its client.
   */
  constructor(
    config: Config,
    outages = new RedisOutageLog(createLogger({ level: config.LOG_LEVEL, service: 'run-watcher' }), describeRedisTarget(config.redis)),
    shared?: RedisClient,
  ) {
    if (config.redis.cluster && !shared) this.ownClient = createRedis(config.redis, 'worker');
    const opts = { connection: bullConnection(config.redis, shared ?? this.ownClient), prefix: config.QUEUE_PREFIX };
    this.ingest = new QueueEvents('ingest', opts);
    this.finalize = new QueueEvents('finalize', opts);
    outages.watch(this.ingest, 'queue events ingest');
    outages.watch(this.finalize, 'queue events finalize');
    this.ingest.on('completed', ({ returnvalue }) => {
      const value = parse(returnvalue);
      if (value?.status === 'invalid') this.invalid.set(value.manifestKey, { errorKey: value.errorKey, message: value.message });
      if (value?.status === 'routed') this.runIds.set(value.manifestKey, value.runId);
      // A manifest version that already ran ends at once, with the report it left.
      if (value?.status === 'already-finished') {
        this.runIds.set(value.manifestKey, value.runId);
        this.finished.set(value.runId, { runId: value.runId, reportKey: value.reportKey });
      }
      this.notify();
    });
    this.finalize.on('completed', ({ returnvalue }) => {
      const value = parse(returnvalue);
      if (value?.runId) this.finished.set(value.runId, { runId: value.runId, reportKey: value.reportKey });
      this.notify();
    });
  }

  async ready(): Promise<void> {
    await Promise.all([this.ingest.waitUntilReady(), this.finalize.waitUntilReady()]);
  }

  wait(manifestKey: string, timeoutMs: number): Promise<RunOutcome> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const invalid = this.invalid.get(manifestKey);
        if (invalid) return done({ status: 'invalid', manifestKey, ...invalid });
        const runId = this.runIds.get(manifestKey);
        const finished = runId ? this.finished.get(runId) : undefined;
        if (finished) done({ status: 'finished', ...finished });
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`run of ${manifestKey} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (outcome: RunOutcome) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(outcome);
      };
      this.listeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.ingest.close(), this.finalize.close()]);
    this.ownClient?.disconnect();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function parse(value: unknown): Record<string, string> | undefined {
  try {
    return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, string>;
  } catch {
    return undefined;
  }
}
