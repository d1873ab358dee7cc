import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { finalizeRunHandler } from './handlers/finalize-run.js';

/** finalize: a run's results, rejects and report, written as its shards are routed. */
export function finalizeService(runtime: Runtime): ServiceModule {
  // Finalize jobs last as long as their runs: a stopping process hands them on rather than wait for them.
  const release = new AbortController();
  return {
    name: 'finalize',
    // A finalize job lives as long as its run, so it may meet several Redis outages; each restart rewrites the same objects.
    queues: [{ queue: 'finalize', concurrency: runtime.config.FINALIZE_CONCURRENCY, maxStalledCount: 10 }],
    handlers: [finalizeRunHandler(runtime, release.signal)],
    release: () => release.abort(),
  };
}
