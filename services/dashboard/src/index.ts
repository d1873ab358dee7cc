import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Runtime, ServiceModule } from '@datashunt/runtime';

/** dashboard: Bull Board over every queue of the catalog, to watch runs job by job. */
export function dashboardService(runtime: Runtime): ServiceModule & { url(): string | undefined } {
  let server: Server | undefined;
  let url: string | undefined;
  return {
    name: 'dashboard',
    queues: [],
    handlers: [],
    url: () => url,
    async start() {
      const adapter = new ExpressAdapter();
      adapter.setBasePath('/');
      createBullBoard({ queues: runtime.queues.allQueues().map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: adapter });
      const app = express();
      app.get('/healthz', (_req, res) => {
        res.json({ ok: true });
      });
      app.use('/', adapter.getRouter());
      await new Promise<void>((resolve) => {
        server = app.listen(runtime.config.DASHBOARD_PORT, '0.0.0.0', () => resolve());
      });
      url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`;
      runtime.logger.info({ url }, 'Bull Board ready');
    },
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
