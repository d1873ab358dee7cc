import { loadConfig, StartupError } from './config.js';
import { createLogger } from './logger.js';
import { serveRuntimeMetrics } from './metrics-server.js';
import { createRuntime, type Runtime } from './runtime.js';
import { runServices, type ServiceModule } from './worker-host.js';

/**
 * A service process: config parsed once, services started, metrics and probes served if asked, and on
 * SIGTERM or SIGINT the workers finish their jobs (bounded by SHUTDOWN_TIMEOUT_MS) before the process exits.
 */
export async function runMain(service: string, build: (runtime: Runtime) => ServiceModule[] | Promise<ServiceModule[]>): Promise<void> {
  try {
    await start(service, build);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    // Expected: one line that names the setting and the fix, no stack trace.
    console.error(`${service}: cannot start: ${error.message.replace(/\n\s*/g, '; ')}`);
    process.exit(1);
  }
}

async function start(service: string, build: (runtime: Runtime) => ServiceModule[] | Promise<ServiceModule[]>): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service });
  const runtime = await createRuntime(config, service, logger);
  const running = await runServices(runtime, await build(runtime));
  let stopping = false;
  const metricsServer = config.METRICS_PORT === undefined ? undefined : await serveRuntimeMetrics(runtime, config.METRICS_PORT, () => stopping);
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
