import { DelayedError, RateLimitError, WaitingChildrenError, Worker, type Job, type Queue } from 'bullmq';
import type { QueueName } from '@datashunt/contracts';
import { parsePayload, type JobName } from '@datashunt/contracts';
import { bullConnection } from './connections.js';
import { buildHandlerRegistry, type AnyJobHandler } from './handlers.js';
import { warnAboutRedisSettings } from './redis-settings.js';
import type { Runtime } from './runtime.js';

export interface ServedQueue {
  queue: QueueName;
  concurrency: number;
  /** Only for jobs that block the event loop (training), so the lock cannot be renewed meanwhile; else JOB_LOCK_MS. */
  lockDurationMs?: number;
  /**
   * How often a job may stall (its lock lapsed: the process died or lost Redis) and run again before it
   * fails; BullMQ's default, 1, unless the job lasts long enough to see several outages and starting it
   * over costs nothing but time (finalize).
   */
  maxStalledCount?: number;
}

/** Errors BullMQ uses for control flow: not failures, so not logged or counted as such. */
function isControlFlow(error: unknown): boolean {
  return error instanceof WaitingChildrenError || error instanceof DelayedError || error instanceof RateLimitError;
}

/**
 * Runs one BullMQ worker per served queue, dispatching each job to the handler of its name. Each job
 * is logged with id, name, queue and duration, and counted by outcome.
 */
export function startWorkers(runtime: Runtime, served: ServedQueue[], handlers: AnyJobHandler[]): Worker[] {
  const registry = buildHandlerRegistry(
    served.map((s) => s.queue),
    handlers,
  );
  return served.map(({ queue, concurrency, lockDurationMs, maxStalledCount = MAX_STALLED }) => {
    const queueHandle = runtime.queues.queue(queue);
    const worker: Worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        const handler = registry.get(job.name as JobName);
        if (!handler) throw new Error(`no handler for job "${job.name}" on queue "${queue}"`);
        const started = performance.now();
        const labels = { queue, job_name: job.name };
        try {
          const result = await handler.handle(parsePayload(job.name as JobName, job.data), { job, token, queue: queueHandle });
          runtime.metrics.jobs.inc({ ...labels, outcome: 'completed', error_type: '' });
          runtime.logger.debug({ jobId: job.id, job: job.name, queue, ms: Math.round(performance.now() - started) }, 'job done');
          return result;
        } catch (error) {
          if (isControlFlow(error)) throw error;
          const errorType = (error as Error)?.name ?? 'Error';
          runtime.metrics.jobs.inc({ ...labels, outcome: 'failed', error_type: errorType });
          runtime.logger.warn(
            { jobId: job.id, job: job.name, queue, attempt: job.attemptsMade + 1, err: (error as Error)?.message, ms: Math.round(performance.now() - started) },
            'job failed',
          );
          throw error;
        } finally {
          runtime.metrics.duration.observe(labels, (performance.now() - started) / 1000);
        }
      },
      {
        connection: bullConnection(runtime.config.redis, runtime.redis),
        prefix: runtime.config.QUEUE_PREFIX,
        concurrency,
        lockDuration: lockDurationMs ?? runtime.config.JOB_LOCK_MS,
        stalledInterval: runtime.config.STALLED_CHECK_MS,
        maxStalledCount,
      },
    );
    runtime.redisOutages.watch(worker, `worker ${queue}`);
    worker.on('stalled', (jobId) => void logStall(runtime, queueHandle, jobId, lockDurationMs ?? runtime.config.JOB_LOCK_MS, maxStalledCount));
    return worker;
  });
}

/** BullMQ's default maxStalledCount: a job may stall once and run again; stalling more fails it. */
const MAX_STALLED = 1;

/**
 * One line per stalled job, from the worker whose stalled check found it (the move is atomic, so
 * only one does): which job, why, and whether it runs again or fails.
 */
async function logStall(runtime: Runtime, queue: Queue, jobId: string, lockMs: number, maxStalled: number): Promise<void> {
  const job = await queue.getJob(jobId).catch(() => undefined);
  const stalls = job?.stalledCounter ?? 1;
  const next =
    stalls > maxStalled
      ? `it stalled ${stalls} times, more than the ${maxStalled} allowed, so it fails instead of running again`
      : 'it is back in the waiting list and runs again';
  runtime.logger.warn(
    { queue: queue.name, jobId, job: job?.name, stalls },
    `job ${jobId}${job ? ` (${job.name})` : ''} on queue ${queue.name} stalled: its worker stopped renewing its ${lockMs} ms lock (crashed or blocked); ${next}`,
  );
}

/**
 * Closes workers letting in-flight jobs finish, but never longer than the grace period. A job still
 * running then is left to its lock: BullMQ's forced close waits for the same job, so it is not awaited,
 * and the process exits; another worker takes the job over once the lock expires.
 */
export async function closeWorkers(workers: Worker[], timeoutMs: number): Promise<'drained' | 'timed-out'> {
  const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'drained' as const);
  const timer = new Promise<'timed-out'>((resolve) => setTimeout(resolve, timeoutMs, 'timed-out').unref());
  return Promise.race([graceful, timer]);
}

/** A deployable unit: the queues it serves with their handlers, and any server it runs beside them. */
export interface ServiceModule {
  name: string;
  queues: ServedQueue[];
  handlers: AnyJobHandler[];
  start?(): Promise<void>;
  /** Asked first when the process stops: jobs that would outlast the grace period hand themselves on. */
  release?(): void;
  stop?(): Promise<void>;
}

export interface RunningServices {
  modules: ServiceModule[];
  workers: Worker[];
  stop(): Promise<void>;
}

/** Hosts one or several services in this process (one per pod in production, all of them in the demo). */
export async function runServices(runtime: Runtime, modules: ServiceModule[]): Promise<RunningServices> {
  if (runtime.config.REDIS_CHECK_SETTINGS) await warnAboutRedisSettings(runtime.redis, runtime.redisOutages.target, runtime.logger);
  const workers = startWorkers(
    runtime,
    modules.flatMap((m) => m.queues),
    modules.flatMap((m) => m.handlers),
  );
  for (const m of modules) await m.start?.();
  runtime.logger.info({ services: modules.map((m) => m.name) }, 'services started');
  return {
    modules,
    workers,
    async stop() {
      for (const m of modules) m.release?.();
      if ((await closeWorkers(workers, runtime.config.SHUTDOWN_TIMEOUT_MS)) === 'timed-out') {
        runtime.logger.warn({ timeoutMs: runtime.config.SHUTDOWN_TIMEOUT_MS }, 'jobs still running at the end of the grace period are left to their locks; another worker takes them over');
      }
      for (const m of modules) await m.stop?.();
    },
  };
}
