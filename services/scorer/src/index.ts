import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { ModelRegistry, PromotedScorers } from '@datashunt/small-models';
import { scoreShardHandler } from './handlers/score-shard.js';

export type { ScoreShardResult } from './handlers/score-shard.js';

/** scorer: the small models over whole shards; the service that may hold a GPU. */
export function scorerService(runtime: Runtime): ServiceModule {
  // The registry pointer is read before every shard (refreshMs 0): a promotion applies from the next shard.
  const scorers = new PromotedScorers(new ModelRegistry(runtime.s3, runtime.bucket), {
    executionProviders: runtime.config.SCORER_EXECUTION_PROVIDERS,
    batchSize: runtime.config.SCORER_BATCH_SIZE,
    ...(runtime.config.SCORER_INTRA_OP_THREADS ? { intraOpNumThreads: runtime.config.SCORER_INTRA_OP_THREADS } : {}),
    logger: runtime.logger,
  });
  return {
    name: 'scorer',
    queues: [{ queue: 'score', concurrency: runtime.config.SCORE_CONCURRENCY }],
    handlers: [scoreShardHandler(runtime, scorers)],
    stop: () => scorers.close(),
  };
}
