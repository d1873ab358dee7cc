import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { serveMetrics } from './metrics.js';
import { createRuntime, type Runtime } from './runtime.js';
import { runServices, type ServiceModule } from './worker-host.js';

/**
 * A service process: config parsed once, services started, metrics served if asked, and on SIGTERM or
 * SIGINT the workers finish their jobs (bounded by SHUTDOWN_TIMEOUT_MS) before the process exits.
 */
export async function runMain(service: string, build: (runtime: Runtime) => ServiceModule[] | Promise<ServiceModule[]>): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service });
  const runtime = await createRuntime(config, service, logger);
  const running = await runServices(runtime, await build(runtime));
  const metricsServer =
    config.METRICS_PORT === undefined ? undefined : await serveMetrics(config.METRICS_PORT, runtime.metrics, runtime.queues.allQueues(), config.METRICS_HOST);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await running.stop();
    metricsServer?.close();
    await runtime.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
