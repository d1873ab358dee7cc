import { Gauge, Registry } from 'prom-client';
import type { Queue } from 'bullmq';

/** Every state BullMQ counts a queue's jobs in. */
export const QUEUE_STATES = ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children'] as const;

/**
 * Queue depth by state as one gauge family (datashunt_queue_jobs{queue,state}), read from Redis at each
 * scrape. Every pod would read the same Redis keys, so only one Deployment exports it
 * (METRICS_QUEUE_DEPTH): autoscaling queries then count each queue once. Not BullMQ's bullmq_job_count:
 * promtool's lint rejects a gauge named with a _count suffix.
 */
export function queueDepthRegistry(queues: Queue[]): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'datashunt_queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts(...QUEUE_STATES)));
      this.reset();
      queues.forEach((queue, i) => {
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[i]![state] ?? 0);
      });
    },
  });
  return registry;
}
