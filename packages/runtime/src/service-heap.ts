import { spawn } from 'node:child_process';

/**
 * V8 heap flags per service, the one place they are set: each service's entry point applies them and
 * k8s/base/deployments.yaml sets the same as NODE_OPTIONS (a test compares them). Left alone, V8 sizes
 * its heap from the machine's memory and grows it before collecting, so RSS climbs with rows
 * processed; capped, the workers stay flat (docs/benchmarks.md, "Pipeline"). The semi-space size sets
 * the young generation: V8's default (16 MB) for the workers that allocate most, smaller for the rest.
 */
export const SERVICE_HEAP = {
  // Streams its input; a Parquet reader holds one row group at a time.
  ingest: ['--max-old-space-size=192', '--max-semi-space-size=16'],
  // One shard's rows and scores, two featurized batches; onnxruntime's memory is outside the heap.
  scorer: ['--max-old-space-size=192', '--max-semi-space-size=16'],
  router: ['--max-old-space-size=128', '--max-semi-space-size=16'],
  // Mostly waits on the large model: a small young generation is enough.
  'llm-caller': ['--max-old-space-size=128', '--max-semi-space-size=8'],
  finalize: ['--max-old-space-size=128', '--max-semi-space-size=16'],
  // Bounded by the distill set's cap (maxRows, about 3 x maxRows while reading), not by a run's rows.
  trainer: ['--max-old-space-size=3072'],
  dashboard: ['--max-old-space-size=128', '--max-semi-space-size=4'],
} as const satisfies Record<string, readonly string[]>;

export type HeapService = keyof typeof SERVICE_HEAP;

/** The service's flags as one NODE_OPTIONS value. */
export function nodeOptionsOf(service: HeapService): string {
  return SERVICE_HEAP[service].join(' ');
}

/** Whoever starts the process chose a heap size already (command line or NODE_OPTIONS): theirs wins. */
export function hasHeapSize(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((flag) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(flag));
}

/**
 * Runs `start` in this process when it has a heap size; otherwise runs this same script again with the
 * service's flags (V8 fixes its heap limits at start-up: they cannot be set from inside) and mirrors
 * that child: signals go to it, and its exit code or signal becomes this process's. The child kills
 * itself if this launcher dies without a word (SIGKILL), so no worker outlives it. An entry point
 * imports this module alone and the service's modules inside `start`, so the launcher stays small.
 */
export async function launchWithServiceHeap(service: HeapService, start: () => Promise<void>): Promise<void> {
  if (process.channel && process.env.DATASHUNT_HEAP_LAUNCHER === service) {
    delete process.env.DATASHUNT_HEAP_LAUNCHER;
    const orphaned = () => process.kill(process.pid, 'SIGKILL');
    if (!process.connected) orphaned();
    process.on('disconnect', orphaned);
    process.channel.unref();
  }
  if (hasHeapSize(process.execArgv, process.env.NODE_OPTIONS)) return start();
  const child = spawn(process.execPath, [...SERVICE_HEAP[service], ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, DATASHUNT_HEAP_LAUNCHER: service },
  });
  const forwarded = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of forwarded) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const s of forwarded) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
