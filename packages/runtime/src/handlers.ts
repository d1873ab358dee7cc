import type { Job, Queue } from 'bullmq';
import { jobsOfQueue, type JobName, type JobPayload, type QueueName } from '@datashunt/contracts';

/** What a handler gets besides its payload: the raw job (for steps and children) and its queue. */
export interface HandlerContext {
  job: Job;
  token: string | undefined;
  queue: Queue;
}

/** One handler per job name; expected outcomes are returned as values, errors thrown mean "retry". */
export interface JobHandler<N extends JobName = JobName, R = unknown> {
  name: N;
  handle(payload: JobPayload<N>, context: HandlerContext): Promise<R>;
}

/** Accepts handlers of any job name; each keeps its own payload type through `defineHandler`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobHandler = JobHandler<any, unknown>;

export function defineHandler<N extends JobName, R>(handler: JobHandler<N, R>): JobHandler<N, R> {
  return handler;
}

export class HandlerRegistryError extends Error {
  override name = 'HandlerRegistryError';
}

/**
 * Maps job names to handlers for the queues a process serves. Start-up fails if a job of a served
 * queue has no handler, or two, so a deploy can never silently drop a job type.
 */
export function buildHandlerRegistry(queues: QueueName[], handlers: AnyJobHandler[]): Map<JobName, AnyJobHandler> {
  const registry = new Map<JobName, AnyJobHandler>();
  for (const handler of handlers) {
    if (registry.has(handler.name)) throw new HandlerRegistryError(`two handlers for job "${handler.name}"`);
    registry.set(handler.name, handler);
  }
  for (const queue of queues) {
    for (const name of jobsOfQueue(queue)) {
      if (!registry.has(name)) throw new HandlerRegistryError(`no handler for job "${name}" of queue "${queue}"`);
    }
  }
  return registry;
}
