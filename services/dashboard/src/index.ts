import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { dashboardAccess, type DashboardAccess, type Role } from './access.js';
import { redactRowText } from './redact.js';
import { runsRouter } from './runs-routes.js';

/**
 * dashboard: the runs pages (/runs: every run with its progress, cost and accuracy) and Bull Board over
 * every queue of the catalog, to watch runs job by job. Everything but /healthz needs a role; readers
 * get a read-only board, writers a writable one; the runs pages change nothing for either.
 */
export function dashboardService(runtime: Runtime): ServiceModule & { url(): string | undefined } {
  const access = dashboardAccess(runtime.config);
  let server: Server | undefined;
  let url: string | undefined;
  return {
    name: 'dashboard',
    queues: [],
    handlers: [],
    url: () => url,
    async start() {
      const boards: Record<Role, express.Router> = { reader: boardRouter(runtime, true), writer: boardRouter(runtime, false) };
      const app = express();
      app.disable('x-powered-by');
      app.get('/healthz', (_req, res) => {
        res.json({ ok: true });
      });
      // Installed before every page, so any page added later is behind it too.
      app.use(authenticate(access));
      app.use(runsRouter(runtime));
      app.use((req: Request, res: Response, next: NextFunction) => boards[res.locals.role as Role](req, res, next));
      const { DASHBOARD_HOST: host, DASHBOARD_PORT: port } = runtime.config;
      await new Promise<void>((resolve) => {
        server = app.listen(port, host, () => resolve());
      });
      const bound = server!.address() as AddressInfo;
      url = `http://${urlHost(bound)}:${bound.port}/`;
      if (access.mode === 'proxy') runtime.logger.warn({ host }, 'dashboard trusts its proxy header: only the proxy must reach this address');
      runtime.logger.info({ url, runs: `${url}runs`, auth: access.mode }, 'dashboard ready: runs pages and Bull Board');
    },
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** One Bull Board; its read-only flag is the first line of defence, the reader guard the second. */
function boardRouter(runtime: Runtime, readOnlyMode: boolean): express.Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath('/');
  const queues = runtime.queues.allQueues().map((q) => {
    const queue = new BullMQAdapter(q, { readOnlyMode });
    queue.setFormatter('data', redactRowText);
    queue.setFormatter('returnValue', redactRowText);
    return queue;
  });
  createBullBoard({ queues, serverAdapter: adapter });
  return adapter.getRouter() as express.Router;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/** 401 without a role; 403 for a reader's request that is not a read, whatever route it names. */
function authenticate(access: DashboardAccess) {
  return (req: Request, res: Response, next: NextFunction) => {
    const role = access.roleOf(req.headers);
    if (!role) {
      if (access.challenge) res.setHeader('WWW-Authenticate', access.challenge);
      res.status(401).json({ error: 'authentication required' });
      return;
    }
    if (role === 'reader' && !READ_METHODS.has(req.method)) {
      res.status(403).json({ error: 'read-only: this action needs the writer role' });
      return;
    }
    res.locals.role = role;
    next();
  };
}

/** Where a person on this machine reaches the listener: its own address, or loopback when bound to all. */
function urlHost(bound: AddressInfo): string {
  if (bound.address === '0.0.0.0' || bound.address === '::') return '127.0.0.1';
  return bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
}
