import type { FailedShard } from './run-control.js';

/** What a running attempt tells finalize about its shards. */
export interface ShardSignals {
  /** The router has written the shard's part in this attempt. */
  isShardDone(shard: number): Promise<boolean>;
  /** Every shard is settled: the ones that failed for good, or null while shards are still going. */
  settled(): Promise<FailedShard[] | null>;
  /** False once the job that settles the attempt never will (it failed, or is gone). */
  settlerAlive(): Promise<boolean>;
}

/** The job that would settle the run's shards ended without doing so: finalize can never finish it. */
export class SettlerGone extends Error {}

const FIRST_PAUSE_MS = 20;
const LONGEST_PAUSE_MS = 500;
/** Polls between two looks at whether the settler is alive: about every 5 s at the longest pause. */
const POLLS_PER_LIVENESS_CHECK = 10;

/**
 * Lets finalize write a run's shards in order while later ones are still being routed, instead of
 * starting only after the last one. A shard may be read once the router marked it done, or once the
 * attempt is settled and the shard is not among the failed. It polls (one small Redis read per pause,
 * from 20 ms up to 500 ms) rather than follow the route queue's events, which would need a stream
 * reader per run.
 */
export class ShardGate {
  private failed: FailedShard[] | null = null;
  private polls = 0;

  constructor(
    private readonly signals: ShardSignals,
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** The attempt's settlement has been read: every shard is routed or failed for good. */
  get isSettled(): boolean {
    return this.failed !== null;
  }

  /** Resolves once the shard is settled: with undefined when its part is written, with the reason when it failed for good. */
  async wait(shard: number): Promise<string | undefined> {
    const settled = await this.until(async () => {
      const failed = await this.settledOnce();
      if (failed) return { reason: failed.find((f) => f.shard === shard)?.reason };
      return (await this.signals.isShardDone(shard)) ? { reason: undefined } : null;
    });
    return settled.reason;
  }

  /** The attempt's failed shards, once it is settled. */
  failedShards(): Promise<FailedShard[]> {
    return this.until(() => this.settledOnce());
  }

  /** Calls `check` until it gives a value, pausing longer each time. */
  private async until<T>(check: () => Promise<T | null>): Promise<T> {
    for (let pauseMs = FIRST_PAUSE_MS; ; pauseMs = Math.min(pauseMs * 2, LONGEST_PAUSE_MS)) {
      const value = await check();
      if (value !== null) return value;
      await this.pause(pauseMs);
    }
  }

  private async settledOnce(): Promise<FailedShard[] | null> {
    if (this.failed) return this.failed;
    this.failed = await this.signals.settled();
    this.polls += 1;
    if (!this.failed && this.polls % POLLS_PER_LIVENESS_CHECK === 0 && !(await this.signals.settlerAlive())) {
      // It may have settled just before it ended: look once more.
      this.failed = await this.signals.settled();
      if (!this.failed) throw new SettlerGone('the ingest job that settles this run ended without settling its shards');
    }
    return this.failed;
  }
}
