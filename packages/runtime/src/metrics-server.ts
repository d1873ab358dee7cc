import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { JobMetrics } from './metrics.js';
import { queueDepthRegistry } from './metrics-queue-depth.js';
import type { Runtime } from './runtime.js';

export interface Probes {
  /** Readiness: whether this process can do its work now (its Redis connection is up, it is not stopping). */
  ready(): boolean;
}

/**
 * A process's ops port: GET /metrics (its own metrics, plus queue depth when given queues), /healthz for
 * liveness (answers while the event loop does) and /readyz for readiness.
 */
export async function serveMetrics(port: number, metrics: JobMetrics, queues: Queue[], probes: Probes = { ready: () => true }, host = '127.0.0.1'): Promise<Server> {
  const registry = queues.length === 0 ? metrics.registry : Registry.merge([metrics.registry, queueDepthRegistry(queues)]);
  const server = createServer(async (req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      try {
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(error as Error).message}`);
      }
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = probes.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

/**
 * The ops port as a service process serves it: queue depth only where METRICS_QUEUE_DEPTH is set,
 * ready while the Redis connection is up and the process is not stopping.
 */
export function serveRuntimeMetrics(runtime: Runtime, port: number, stopping: () => boolean): Promise<Server> {
  const queues = runtime.config.METRICS_QUEUE_DEPTH ? runtime.queues.allQueues() : [];
  return serveMetrics(port, runtime.metrics, queues, { ready: () => !stopping() && runtime.redis.status === 'ready' }, runtime.config.METRICS_HOST);
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
