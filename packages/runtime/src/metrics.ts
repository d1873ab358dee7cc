import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Queue } from 'bullmq';

/** Job outcome counters and durations, labelled the way dashboards and KEDA triggers slice them. */
export class JobMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'datashunt_jobs_total',
    help: 'Jobs processed, by queue, job name and outcome',
    labelNames: ['queue', 'job_name', 'outcome', 'error_type'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'datashunt_job_duration_seconds',
    help: 'Job processing time',
    labelNames: ['queue', 'job_name'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
}

/** Serves /metrics: this process's counters plus BullMQ's per-queue job counts (bullmq_job_count). */
export async function serveMetrics(port: number, metrics: JobMetrics, queues: Queue[], host = '127.0.0.1'): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    try {
      const parts = [await metrics.registry.metrics(), ...(await Promise.all(queues.map((q) => q.exportPrometheusMetrics())))];
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(parts.join('\n'));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
