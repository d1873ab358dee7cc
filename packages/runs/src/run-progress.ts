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
  /** Rows ingest has read so far; final once `planned` is true. */
  rows: number;
  ingestRejects: number;
  planned: boolean;
  shards: number | null;
  scored: number;
  routed: number;
  /** Rows the router sent to the large model. */
  hard: number;
  /** Of those, rows whose llm-call ended (answer or fallback). */
  answered: number;
  shardsDone: number;
}

export interface RecentRun {
  runId: string;
  startedAt: number;
}

/**
 * A run's progress in Redis, for `runs watch` and the runs page without listing S3. Per-shard counts
 * are written with HSET, so a shard redone after a crash counts once; only `answered` is a counter
 * (one per llm-call job, clamped to `hard` when read). S3 stays the source of truth for results.
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

  /** Ingest's running totals while it reads the input; `planned` once it has read all of it. */
  ingested(runId: string, totals: { rows: number; ingestRejects: number; shards?: number }): Promise<void> {
    const fields: Record<string, number | string> = { rows: totals.rows, ingestRejects: totals.ingestRejects };
    if (totals.shards !== undefined) Object.assign(fields, { shards: totals.shards, planned: 1, phase: 'running' });
    return this.set(runId, fields);
  }

  shardScored(runId: string, shard: number, rows: number): Promise<void> {
    return this.set(runId, { [`scored:${shard}`]: rows });
  }

  shardRouted(runId: string, shard: number, rows: number, hard: number): Promise<void> {
    return this.set(runId, { [`routed:${shard}`]: rows, [`hard:${shard}`]: hard });
  }

  /** A shard an earlier attempt finished: all its rows count as routed and done, none as waiting on the large model. */
  shardKept(runId: string, shard: number, rows: number): Promise<void> {
    return this.set(runId, { [`scored:${shard}`]: rows, [`routed:${shard}`]: rows, [`hard:${shard}`]: 0, [`done:${shard}`]: 1 });
  }

  shardDone(runId: string, shard: number): Promise<void> {
    return this.set(runId, { [`done:${shard}`]: 1 });
  }

  async answered(runId: string): Promise<void> {
    await this.redis.multi().hincrby(this.key(runId), 'answered', 1).hset(this.key(runId), 'updatedAt', Date.now()).exec();
  }

  phase(runId: string, phase: RunPhase): Promise<void> {
    return this.set(runId, { phase });
  }

  async read(runId: string): Promise<RunProgressState | null> {
    const h = await this.redis.hgetall(this.key(runId));
    if (!h.runId) return null;
    const sum = (stage: string) => Object.entries(h).reduce((total, [field, value]) => (field.startsWith(`${stage}:`) ? total + Number(value) : total), 0);
    const hard = sum('hard');
    return {
      runId: h.runId,
      outputPrefix: h.outputPrefix ?? '',
      manifestKey: h.manifestKey ?? '',
      phase: (h.phase ?? 'planning') as RunPhase,
      startedAt: Number(h.startedAt),
      updatedAt: Number(h.updatedAt),
      rows: Number(h.rows ?? 0),
      ingestRejects: Number(h.ingestRejects ?? 0),
      planned: h.planned === '1',
      shards: h.shards === undefined ? null : Number(h.shards),
      scored: sum('scored'),
      routed: sum('routed'),
      hard,
      answered: Math.min(Number(h.answered ?? 0), hard),
      shardsDone: sum('done'),
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
