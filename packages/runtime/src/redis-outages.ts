import type { RedisClient } from './connections.js';
import type { Logger } from './logger.js';

/** What BullMQ's Worker, Queue, QueueEvents and FlowProducer have in common: they re-emit connection errors. */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Errors that say Redis cannot be reached, as opposed to a command or job going wrong. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; name?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) ||
    e?.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(message)
  );
}

/**
 * One line when Redis becomes unreachable and one when it is back, however many clients notice and
 * however often they retry: every ioredis client retries on its own, each retry emits an error, and
 * an emitter without an 'error' listener prints a stack trace per retry. Every client and BullMQ
 * object a process creates is watched here, so all of them have a listener.
 */
export class RedisOutageLog {
  private downSince: number | undefined;
  private readonly clients = new Set<RedisClient>();

  constructor(
    private readonly logger: Logger,
    readonly target: string,
    private readonly now: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** An ioredis client: its errors may start an outage; the outage ends when every watched client is ready again. */
  watchClient(client: RedisClient, what: string): void {
    this.clients.add(client);
    client.on('error', (error: Error) => this.onError(error, what));
    client.on('ready', () => [...this.clients].every((c) => c.status === 'ready') && this.onReady());
    client.on('end', () => this.clients.delete(client));
  }

  /** A BullMQ object: it forwards its connections' errors; its own clients' 'ready' is not exposed. */
  watch(emitter: ErrorEmitter, what: string): void {
    emitter.on('error', (error) => this.onError(error, what));
  }

  onError(error: Error, what: string): void {
    if (isConnectionError(error)) {
      if (this.downSince !== undefined) return;
      this.downSince = this.now();
      this.logger.warn(
        { redis: this.target, client: what, err: error.message },
        `lost the connection to Redis at ${this.target} (${error.message}); retrying until it is back: jobs pause meanwhile and resume on their own`,
      );
      return;
    }
    // During an outage other errors are its echoes (a lock not renewed, a command refused).
    if (this.downSince !== undefined) return void this.logger.debug({ client: what, err: error.message }, 'error during Redis outage');
    this.logger.error({ client: what, err: error.message }, `${what}: ${error.message}`);
  }

  onReady(): void {
    if (this.downSince === undefined) return;
    const seconds = ((this.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = undefined;
    this.logger.info({ redis: this.target, outageSeconds: Number(seconds) }, `Redis at ${this.target} is back after ${seconds} s; jobs resume`);
  }
}
