import { FlowProducer, Queue, type FlowJob, type JobsOptions } from 'bullmq';
import { attemptsToRideOut, catalog, parsePayload, queueNames, type CatalogJobOptions, type JobName, type JobPayload, type QueueName } from '@datashunt/contracts';
import type { RedisClient } from './connections.js';
import type { ErrorEmitter } from './redis-outages.js';

/** A job ready to enqueue: its catalog name, a checked payload and options over the catalog's defaults. */
export interface CatalogJob<N extends JobName = JobName> {
  name: N;
  data: JobPayload<N>;
  opts?: JobsOptions;
}

/**
 * The producer side of the queue catalog: every payload is validated against its schema before it
 * reaches Redis, and every job gets the catalog's options unless the caller overrides them.
 */
export class QueueClient {
  private readonly queues = new Map<QueueName, Queue>();
  private flowProducer?: FlowProducer;

  /** `watch` gets every Queue and FlowProducer as it is made, to listen to its errors (see RedisOutageLog). */
  constructor(
    private readonly connection: RedisClient,
    readonly prefix: string,
    private readonly watch: (emitter: ErrorEmitter, what: string) => void,
    /** How long a job that rides out outages keeps being retried (see attemptsToRideOut). */
    private readonly outageWindowMs = 0,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.watch(queue, `queue ${name}`);
      this.queues.set(name, queue);
    }
    return queue;
  }

  allQueues(): Queue[] {
    return queueNames.map((name) => this.queue(name));
  }

  /** The queue key BullMQ expects in `parent.queue`. */
  qualified(name: QueueName): string {
    return `${this.prefix}:${name}`;
  }

  async add<N extends JobName>(job: CatalogJob<N>) {
    const entry = catalog[job.name];
    return this.queue(entry.queue).add(job.name, parsePayload(job.name, job.data), this.optionsOf(job));
  }

  async addBulk<N extends JobName>(jobs: CatalogJob<N>[]) {
    if (jobs.length === 0) return [];
    const queue = catalog[jobs[0]!.name].queue;
    if (jobs.some((j) => catalog[j.name].queue !== queue)) throw new Error('addBulk takes jobs of one queue');
    return this.queue(queue).addBulk(
      jobs.map((j) => ({ name: j.name, data: parsePayload(j.name, j.data), opts: this.optionsOf(j) })),
    );
  }

  /** Builds a BullMQ flow node from a catalog job, so flows get the same checks and defaults. */
  node<N extends JobName>(job: CatalogJob<N>, children?: FlowJob[]): FlowJob {
    const entry = catalog[job.name];
    const base = { name: job.name, queueName: entry.queue, data: parsePayload(job.name, job.data), opts: this.optionsOf(job) };
    return children ? { ...base, children } : base;
  }

  /** The catalog's options, with attempts raised to outlast the outage window where the job rides outages out. */
  private optionsOf(job: CatalogJob): JobsOptions {
    const { ridesOutOutages, ...options } = catalog[job.name].options as CatalogJobOptions;
    const attempts = ridesOutOutages ? attemptsToRideOut(this.outageWindowMs, options.backoff.delay, options.attempts) : options.attempts;
    return { ...options, attempts, ...job.opts };
  }

  /** Adds flows in one multi-command round trip (each flow atomic, as FlowProducer.addBulk does). */
  async addFlows(flows: FlowJob[]) {
    if (!this.flowProducer) {
      this.flowProducer = new FlowProducer({ connection: this.connection, prefix: this.prefix });
      this.watch(this.flowProducer, 'flow producer');
    }
    return this.flowProducer.addBulk(flows);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flowProducer?.close();
  }
}
