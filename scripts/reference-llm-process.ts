import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * The reference LLM in its own process (as deployed), serving the stand-ins in `modelsDir`: for the
 * scripts that measure the pipeline as separate processes. Resolves once it listens, with its URL.
 * `env` adds settings such as REFERENCE_LLM_LATENCY_MS and REFERENCE_LLM_MAX_RPM.
 */
export async function startReferenceLlmProcess(modelsDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['services/reference-llm/dist/main.js'], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', REFERENCE_LLM_MODELS_DIR: modelsDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Its first line names the address it listens on; later output is drained so the pipe never fills.
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])]);
  lines.close();
  child.stdout!.resume();
  const url = first[0] === undefined ? undefined : (JSON.parse(first[0] as string) as { url?: string }).url;
  if (!url) throw new Error(`the reference LLM did not start: ${String(first[0])}`);
  return { child, url };
}
