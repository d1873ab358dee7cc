import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { RunMetrics } from './metrics-run.js';

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * This process's metrics: job outcome counters and durations, labelled the way dashboards slice them,
 * and Node's process metrics (CPU, heap, event-loop lag, GC). Labels name queues and jobs, never rows.
 */
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
  readonly run = new RunMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters fail promtool's lint; nodejs_active_{handles,requests,resources} by type stay.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
  }
}
