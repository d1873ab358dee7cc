import { QueueEvents, type Job } from 'bullmq';
import { catalog, parsePayload, type JobPayload } from '@datashunt/contracts';
import { bullConnection, type Runtime } from '@datashunt/runtime';
import type { DistillSummary } from './handlers/distill.js';

/** When a model is redistilled: every so many milliseconds, or on a cron pattern (with an optional time zone). */
export type DistillSchedule = { everyMs: number } | { cron: string; tz?: string };

export interface DistillScheduleInfo {
  id: string;
  modelName: string | undefined;
  everyMs: number | undefined;
  cron: string | undefined;
  tz: string | undefined;
  /** When the next job is due (epoch milliseconds). */
  next: number | undefined;
}

/** One scheduler per model, so scheduling again replaces the previous schedule. */
export function distillSchedulerId(modelName: string): string {
  return `distill-${modelName}`;
}

/** Runs 2CD for a model on a schedule, through BullMQ's job schedulers; returns the scheduler id. */
export async function scheduleDistillation(runtime: Runtime, modelName: string, schedule: DistillSchedule): Promise<string> {
  const id = distillSchedulerId(modelName);
  const repeat = 'everyMs' in schedule ? { every: schedule.everyMs } : { pattern: schedule.cron, ...(schedule.tz ? { tz: schedule.tz } : {}) };
  await runtime.queues.queue('distill').upsertJobScheduler(id, repeat, {
    name: 'distill',
    data: parsePayload('distill', { modelName }),
    opts: catalog.distill.options,
  });
  return id;
}

/** Returns whether a schedule existed. */
export function unscheduleDistillation(runtime: Runtime, modelName: string): Promise<boolean> {
  return runtime.queues.queue('distill').removeJobScheduler(distillSchedulerId(modelName));
}

export async function listDistillationSchedules(runtime: Runtime): Promise<DistillScheduleInfo[]> {
  const schedulers = await runtime.queues.queue('distill').getJobSchedulers();
  return schedulers.map((s) => ({
    id: s.key,
    modelName: (s.template?.data as Partial<JobPayload<'distill'>> | undefined)?.modelName,
    everyMs: s.every,
    cron: s.pattern,
    tz: s.tz,
    next: s.next,
  }));
}

/** Enqueues one distill job now. */
export function enqueueDistillation(runtime: Runtime, payload: JobPayload<'distill'>): Promise<Job> {
  return runtime.queues.add({ name: 'distill', data: payload });
}

/** Waits for a distill job through BullMQ's queue events and returns its summary; throws if the job failed. */
export async function waitForDistillation(runtime: Runtime, job: Job, timeoutMs: number): Promise<DistillSummary> {
  const events = new QueueEvents('distill', { connection: bullConnection(runtime.config.redis, runtime.redis), prefix: runtime.config.QUEUE_PREFIX });
  try {
    await events.waitUntilReady();
    return (await job.waitUntilFinished(events, timeoutMs)) as DistillSummary;
  } finally {
    await events.close();
  }
}
