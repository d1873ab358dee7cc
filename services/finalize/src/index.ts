import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { finalizeRunHandler } from './handlers/finalize-run.js';

/** finalize: a run's results, rejects and report, once every shard is routed. */
export function finalizeService(runtime: Runtime): ServiceModule {
  return {
    name: 'finalize',
    queues: [{ queue: 'finalize', concurrency: runtime.config.FINALIZE_CONCURRENCY }],
    handlers: [finalizeRunHandler(runtime)],
  };
}
