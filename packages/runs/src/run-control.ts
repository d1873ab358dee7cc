import type { Cluster, Redis } from 'ioredis';

const TTL_SECONDS = 30 * 24 * 3600;

/**
 * A person's request to cancel a run: the llm-caller stops asking the large model for it (its rows
 * fall back to the small model, flagged `cancelled`, at no cost), the rest of the pipeline finishes
 * what is done, and finalize marks the run `cancelled`.
 */
export class RunCancellation {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** Records who cancelled and when; a second cancel keeps the first. True when this call cancelled it. */
  async cancel(runId: string, by: string): Promise<boolean> {
    const note = `cancelled by ${by} at ${new Date().toISOString()}`;
    return (await this.redis.set(this.key(runId), note, 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  /** The cancel note, or null while the run may go on. */
  cancelled(runId: string): Promise<string | null> {
    return this.redis.get(this.key(runId));
  }

  /** A resumed run starts uncancelled. */
  async clear(runId: string): Promise<void> {
    await this.redis.del(this.key(runId));
  }

  private key(runId: string): string {
    return `${this.prefix}run-cancel:${runId}`;
  }
}
