import type { Cluster, Redis } from 'ioredis';

const TTL_SECONDS = 30 * 24 * 3600;
/** How many runs the index of recent runs keeps. */
const INDEX_SIZE = 1_000;

/** Where a run is in its life, as the live counters see it; the final word is report.json's status. */
export type RunPhase = 'planning' | 'running' | 'finalizing' | 'succeeded' | 'succeeded-with-warnings' | 'failed' | 'cancelled';

/** A run's live counters: rows known so far and rows past each stage of the pipeline. */
export interface RunProgressState {
  runId: string;
  outputPrefix: string;
  manifestKey: string;
  phase: RunPhase;
  startedAt: number;
  updatedAt: number;
  /** Rows the scorers have read from the input so far, and records they refused; final once `planned` is true. */
  rows: number;
  ingestRejects: number;
  /** Every shard's range has been read: the run's rows are all known. */
  planned: boolean;
  shards: number | null;
  /** Shards whose range has been read. */
  shardsRead: number;
  scored: number;
  routed: number;
  /** Rows the router sent to the large model. */
  hard: number;
  /** Of those, rows whose llm-call ended (answer or fallback). */
  answered: number;
  shardsDone: number;
  /** Shards finalize has already written into the run's results, in order, while later ones may still be going. */
  shardsWritten: number;
}

export interface RecentRun {
  runId: string;
  startedAt: number;
}

/**
 * A run's progress in Redis, for `runs watch` and the runs page without listing S3. Per-shard counts
 * are written with HSET, so a shard redone after a crash counts once; only `answered` is a counter
 * (one per hard row, added when its llm-call job ends, clamped to `hard` when read). S3 stays the source of truth for results.
 */
export class RunProgress {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /**
   * Starts (or, for a resumed run, restarts) a run's counters and lists it among recent runs. The
   * counters and the index live in different Redis Cluster slots, so each has its own transaction;
   * readers of the index skip runs whose counters are gone.
   */
  async start(run: { runId: string; outputPrefix: string; manifestKey: string }): Promise<void> {
    const now = Date.now();
    const key = this.key(run.runId);
    await this.redis
      .multi()
      .del(key)
      .hset(key, { runId: run.runId, outputPrefix: run.outputPrefix, manifestKey: run.manifestKey, phase: 'planning', startedAt: now, updatedAt: now })
      .expire(key, TTL_SECONDS)
      .exec();
    await this.redis.multi().zadd(this.indexKey(), now, run.runId).zremrangebyrank(this.indexKey(), 0, -INDEX_SIZE - 1).exec();
  }

  /** Ingest has cut the input into its shards. */
  planned(runId: string, shards: number): Promise<void> {
    return this.set(runId, { shards, phase: 'running' });
  }

  /** A scorer has read a shard's range (rows, and records refused) and scored its rows. */
  shardScored(runId: string, shard: number, counts: { read: number; rejected: number; scored: number }): Promise<void> {
    return this.set(runId, { [`read:${shard}`]: counts.read, [`rejected:${shard}`]: counts.rejected, [`scored:${shard}`]: counts.scored });
  }

  shardRouted(runId: string, shard: number, rows: number, hard: number): Promise<void> {
    return this.set(runId, { [`routed:${shard}`]: rows, [`hard:${shard}`]: hard });
  }

  /** A shard an earlier attempt finished: all its lines count as read, routed and done, none as waiting on the large model. */
  shardKept(runId: string, shard: number, lines: number): Promise<void> {
    return this.set(runId, { [`read:${shard}`]: lines, [`rejected:${shard}`]: 0, [`scored:${shard}`]: lines, [`routed:${shard}`]: lines, [`hard:${shard}`]: 0, [`done:${shard}`]: 1 });
  }

  shardDone(runId: string, shard: number): Promise<void> {
    return this.set(runId, { [`done:${shard}`]: 1 });
  }

  /** Whether the shard's part is written in this attempt (shardDone or shardKept). */
  async isShardDone(runId: string, shard: number): Promise<boolean> {
    return (await this.redis.hget(this.key(runId), `done:${shard}`)) !== null;
  }

  /** Finalize has written the first `shards` shards into the run's results. */
  shardsWritten(runId: string, shards: number): Promise<void> {
    return this.set(runId, { written: shards });
  }

  /** `rows` more hard rows answered (or fallen back): a grouped llm-call job counts its rows at once. */
  async answered(runId: string, rows = 1): Promise<void> {
    await this.redis.multi().hincrby(this.key(runId), 'answered', rows).hset(this.key(runId), 'updatedAt', Date.now()).exec();
  }

  phase(runId: string, phase: RunPhase): Promise<void> {
    return this.set(runId, { phase });
  }

  async read(runId: string): Promise<RunProgressState | null> {
    const h = await this.redis.hgetall(this.key(runId));
    if (!h.runId) return null;
    const sum = (stage: string) => Object.entries(h).reduce((total, [field, value]) => (field.startsWith(`${stage}:`) ? total + Number(value) : total), 0);
    const hard = sum('hard');
    const shards = h.shards === undefined ? null : Number(h.shards);
    const shardsRead = Object.keys(h).filter((field) => field.startsWith('read:')).length;
    return {
      runId: h.runId,
      outputPrefix: h.outputPrefix ?? '',
      manifestKey: h.manifestKey ?? '',
      phase: (h.phase ?? 'planning') as RunPhase,
      startedAt: Number(h.startedAt),
      updatedAt: Number(h.updatedAt),
      rows: sum('read'),
      ingestRejects: sum('rejected'),
      planned: shards !== null && shardsRead >= shards,
      shards,
      shardsRead,
      scored: sum('scored'),
      routed: sum('routed'),
      hard,
      answered: Math.min(Number(h.answered ?? 0), hard),
      shardsDone: sum('done'),
      shardsWritten: Number(h.written ?? 0),
    };
  }

  /** The most recently started runs, newest first. */
  async recent(limit: number): Promise<RecentRun[]> {
    const flat = await this.redis.zrevrange(this.indexKey(), 0, limit - 1, 'WITHSCORES');
    const runs: RecentRun[] = [];
    for (let i = 0; i < flat.length; i += 2) runs.push({ runId: flat[i]!, startedAt: Number(flat[i + 1]) });
    return runs;
  }

  private async set(runId: string, fields: Record<string, number | string>): Promise<void> {
    await this.redis.hset(this.key(runId), { ...fields, updatedAt: Date.now() });
  }

  /** Tagged with the run id, so runs' counters spread over a Redis Cluster's slots. */
  private key(runId: string): string {
    return `${this.prefix}run-progress:{${runId}}`;
  }

  private indexKey(): string {
    return `${this.prefix}runs-recent`;
  }
}
