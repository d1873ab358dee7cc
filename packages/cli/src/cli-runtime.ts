import { createLogger, createRuntime, loadConfig, type Runtime } from '@datashunt/runtime';

/**
 * The CLI's connections, opened only once the command line is known to be good. Its log lines go to
 * stderr, so stdout carries only the command's output (one JSON document with --json).
 */
export async function withRuntime<T>(use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const runtime = await createRuntime(config, 'datashunt-cli', createLogger({ level: config.LOG_LEVEL, service: 'datashunt-cli', destination: process.stderr }));
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

/** Writes a command's result: one JSON document with --json, else lines for a person. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
