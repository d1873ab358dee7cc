import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@datashunt/runtime';

/** The environment that gives a separate process (a service, the CLI) a stack's settings. */
export function envOf(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined) env[key] = Array.isArray(value) ? value.join(',') : String(value);
  return env;
}

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** What it wrote to stderr so far. */
  stderr(): string;
  done: Promise<CliOutcome>;
  kill(): void;
}

/**
 * The built `datashunt` (packages/cli/dist/main.js; scripts/test.sh builds it) as a child process,
 * with a stack's settings: what a person or a script runs.
 */
export function startCli(config: Config, args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['packages/cli/dist/main.js', ...args], {
    env: { ...process.env, ...envOf(config), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<CliOutcome>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { stderr: () => stderr, done, kill: () => child.kill('SIGKILL') };
}

export function runCli(config: Config, args: string[], env?: Record<string, string>): Promise<CliOutcome> {
  return startCli(config, args, env).done;
}

/** Polls a condition on state (not a fixed sleep) until it holds, or fails after timeoutMs. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
