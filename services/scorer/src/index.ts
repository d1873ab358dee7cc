import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { scoreShardHandler } from './handlers/score-shard.js';
import { ScorerCache } from './scorer-cache.js';

export type { ScoreShardResult } from './handlers/score-shard.js';

/** scorer: the small models over whole shards; the service that may hold a GPU. */
export function scorerService(runtime: Runtime): ServiceModule {
  const scorers = new ScorerCache(runtime);
  return {
    name: 'scorer',
    // A large shard on a slow CPU can take a while; the lock must outlive it.
    queues: [{ queue: 'score', concurrency: runtime.config.SCORE_CONCURRENCY, lockDurationMs: 300_000 }],
    handlers: [scoreShardHandler(runtime, scorers)],
    stop: () => scorers.close(),
  };
}
