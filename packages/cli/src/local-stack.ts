import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startReferenceLlm } from '@datashunt/reference-llm';
import { createLogger, createRuntime, loadConfig, runServices, RunWatcher, type Config, type Runtime, type RunningServices } from '@datashunt/runtime';
import { startLocalS3 } from '@datashunt/storage';
import { buildServices } from './services.js';

export interface LocalStackOptions {
  /** Where the embedded S3 server keeps its objects and the reference LLM finds its stand-ins. */
  dataDir: string;
  services: string[];
  /** Settings over the process environment (e.g. ports 0 and a queue prefix in tests). */
  env?: Record<string, string>;
  /** Start the embedded S3 server unless S3_ENDPOINT is set. */
  embeddedS3?: boolean;
  /** Start the reference LLM unless OPENAI_BASE_URL is set. */
  embeddedLlm?: boolean;
  referenceModelsDir?: string;
  logLevel?: string;
  /** Where log lines go (stdout otherwise): tests read them to check that no secret or row text is logged. */
  logDestination?: { write(line: string): void };
}

export interface LocalStack {
  config: Config;
  runtime: Runtime;
  services: RunningServices;
  watcher: RunWatcher;
  llmUrl: string;
  close(): Promise<void>;
}

/**
 * The whole system in one process on local parts: Redis (already running), the embedded S3 server
 * over HTTP, the reference LLM over HTTP, and the chosen services. Real endpoints replace the
 * embedded ones when S3_ENDPOINT or OPENAI_BASE_URL are set.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  const closers: Array<() => Promise<void>> = [];
  if (!env.S3_ENDPOINT && options.embeddedS3 !== false) {
    const s3 = await startLocalS3({ directory: join(options.dataDir, 's3') });
    closers.push(() => s3.close());
    Object.assign(env, { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' });
  }
  if (!env.OPENAI_BASE_URL && options.embeddedLlm !== false) {
    const llm = await startReferenceLlm({ port: 0, host: '127.0.0.1', modelsDir: options.referenceModelsDir ?? join(options.dataDir, 'reference-llm') });
    closers.push(() => llm.close());
    env.OPENAI_BASE_URL = llm.baseURL;
  }
  // Even on loopback the dashboard and the webhook are authenticated: generate what is not given.
  if (!env.DASHBOARD_PASSWORD && !env.DASHBOARD_PASSWORD_FILE) env.DASHBOARD_PASSWORD = randomBytes(12).toString('base64url');
  if (!env.WEBHOOK_SECRET && !env.WEBHOOK_SECRET_FILE) env.WEBHOOK_SECRET = randomBytes(24).toString('base64url');
  const config = loadConfig(env);
  const logger = createLogger({ level: options.logLevel ?? config.LOG_LEVEL, service: 'datashunt', ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const runtime = await createRuntime(config, 'datashunt', logger);
  const watcher = new RunWatcher(config, runtime.redisOutages, runtime.redis);
  await watcher.ready();
  const services = await runServices(runtime, buildServices(runtime, options.services));
  return {
    config,
    runtime,
    services,
    watcher,
    llmUrl: config.OPENAI_BASE_URL,
    async close() {
      await services.stop();
      await watcher.close();
      await runtime.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
