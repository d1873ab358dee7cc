import type { Server } from 'node:http';
import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { manifestIngestHandler } from './handlers/manifest-ingest.js';
import { manifestSweepHandler } from './handlers/manifest-sweep.js';
import { createNotificationServer, listen } from './notification-server.js';
import { webhookAuth } from './webhook-auth.js';

export { enqueueManifest } from './manifest-enqueue.js';
export { checkManifest, type ManifestIssue } from './manifest-validation.js';
export { checkPlannable, type PlanCheck, type PlannableManifest } from './plan-checks.js';
export { mapRecord, mappedColumns, rowMapping, type MappedManifest, type RowMapping } from '@datashunt/formats';
export { signBody, SIGNATURE_HEADER } from './webhook-auth.js';

export const SWEEP_SCHEDULER_ID = 'manifest-sweep';

/** ingest: the manifest sweep (a BullMQ job scheduler), the notification endpoint and run planning. */
export function ingestService(runtime: Runtime): ServiceModule & { port(): number | undefined } {
  const auth = webhookAuth(runtime.config);
  let server: Server | undefined;
  let port: number | undefined;
  let keeper: NodeJS.Timeout | undefined;
  const upsertSweep = () =>
    runtime.queues.queue('ingest').upsertJobScheduler(SWEEP_SCHEDULER_ID, { every: runtime.config.SWEEP_EVERY_MS }, { name: 'manifest-sweep', data: {} });
  return {
    name: 'ingest',
    queues: [{ queue: 'ingest', concurrency: runtime.config.INGEST_CONCURRENCY }],
    handlers: [manifestSweepHandler(runtime), manifestIngestHandler(runtime)],
    port: () => port,
    async start() {
      if (runtime.config.SWEEP_EVERY_MS > 0) {
        await upsertSweep();
        // A Redis that lost its data (no persistence) lost the scheduler too: put it back every period.
        keeper = setInterval(() => void upsertSweep().catch(() => undefined), runtime.config.SWEEP_EVERY_MS).unref();
      }
      server = createNotificationServer(runtime, auth);
      port = await listen(server, runtime.config.INGEST_HTTP_PORT, runtime.config.INGEST_HTTP_HOST);
      if (auth.refusesAll) runtime.logger.warn(auth.refusesAll);
      runtime.logger.info({ port, prefix: runtime.config.MANIFEST_PREFIX }, 'watching for manifests');
    },
    async stop() {
      clearInterval(keeper);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
