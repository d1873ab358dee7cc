import { dashboardService } from '@datashunt/dashboard';
import { finalizeService } from '@datashunt/finalize';
import { ingestService } from '@datashunt/ingest';
import { llmCallerService } from '@datashunt/llm-caller';
import { routerService } from '@datashunt/router';
import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { scorerService } from '@datashunt/scorer';
import { trainerService } from '@datashunt/trainer';

/** Every deployable by name; `datashunt serve --services a,b` hosts any of them in one process. */
export const serviceFactories: Record<string, (runtime: Runtime) => ServiceModule> = {
  ingest: ingestService,
  scorer: scorerService,
  router: routerService,
  'llm-caller': llmCallerService,
  finalize: finalizeService,
  trainer: (runtime) => trainerService(runtime),
  dashboard: dashboardService,
};

export const PIPELINE_SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize'];

export function buildServices(runtime: Runtime, names: string[]): ServiceModule[] {
  return names.map((name) => {
    const factory = serviceFactories[name];
    if (!factory) throw new Error(`unknown service "${name}"; known: ${Object.keys(serviceFactories).join(', ')}`);
    return factory(runtime);
  });
}
