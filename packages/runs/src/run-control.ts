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

/** A shard that failed for good (an outage longer than its retries): the run fails and a resume finishes it. */
export interface FailedShard {
  shard: number;
  reason: string;
}

/**
 * The word that every shard of a run's attempt is settled (routed, or failed for good), written by
 * ingest's collect step. Finalize, which assembles the run's results while its shards are still
 * routing, waits for it before it writes the report.
 */
export class RunSettlement {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  async settle(runId: string, attempt: number, failedShards: FailedShard[]): Promise<void> {
    await this.redis.set(this.key(runId, attempt), JSON.stringify(failedShards), 'EX', TTL_SECONDS);
  }

  /** The attempt is planned (again): a settlement left by an earlier pass over it says nothing of this one. */
  async clear(runId: string, attempt: number): Promise<void> {
    await this.redis.del(this.key(runId, attempt));
  }

  /** The attempt's failed shards once it is settled; null while shards are still going. */
  async settled(runId: string, attempt: number): Promise<FailedShard[] | null> {
    const value = await this.redis.get(this.key(runId, attempt));
    return value === null ? null : (JSON.parse(value) as FailedShard[]);
  }

  private key(runId: string, attempt: number): string {
    return `${this.prefix}run-settled:${runId}:${attempt}`;
  }
}
