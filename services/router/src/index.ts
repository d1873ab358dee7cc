import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { routeShardHandler } from './handlers/route-shard.js';

export { buildPart } from './shard-decisions.js';

/** router: the shunt decision per row, and the fan-out of hard rows to the large-model queue. */
export function routerService(runtime: Runtime): ServiceModule {
  return {
    name: 'router',
    queues: [{ queue: 'route', concurrency: runtime.config.ROUTE_CONCURRENCY }],
    handlers: [routeShardHandler(runtime)],
  };
}
