import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { SERVICE_HEAP } from '@datashunt/runtime';

interface Report {
  pid: number;
  execArgv: string[];
  argv: string[];
  heapLimitMb: number;
}

/**
 * An entry point like a service's main (the built launcher, as `node services/<name>/dist/main.js`
 * runs it) that reports how it runs, then exits with the code it is given or waits for SIGTERM.
 */
const dir = mkdtempSync(join(tmpdir(), 'ds-heap-'));
const entry = join(dir, 'main.mjs');
writeFileSync(
  entry,
  `import v8 from 'node:v8';
import { launchWithServiceHeap } from ${JSON.stringify(pathToFileURL(resolve('packages/runtime/dist/service-heap.js')).href)};
await launchWithServiceHeap('router', async () => {
  process.on('SIGTERM', () => process.exit(7));
  console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, argv: process.argv.slice(2), heapLimitMb: v8.getHeapStatistics().heap_size_limit / 2 ** 20 }));
  const code = process.argv[2];
  if (code !== 'wait') process.exitCode = Number(code);
  else setInterval(() => {}, 60_000);
});
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[], nodeOptions?: string): { child: ChildProcess; report: Promise<Report> } {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const report = once(lines, 'line').then(([line]) => JSON.parse(line as string) as Report);
  return { child, report };
}

const exitOf = (child: ChildProcess) => once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

describe('a service started without heap flags', () => {
  it('runs again with its SERVICE_HEAP flags and the same arguments, and exits with its code', async () => {
    const { child, report } = start(['3', 'extra']);
    const ran = await report;
    expect(ran.pid).not.toBe(child.pid);
    expect(ran.execArgv.slice(0, SERVICE_HEAP.router.length)).toEqual([...SERVICE_HEAP.router]);
    expect(ran.argv).toEqual(['3', 'extra']);
    expect(ran.heapLimitMb).toBeLessThan(512);
    expect(await exitOf(child)).toEqual([3, null]);
  }, 30_000);

  it('runs in place when it was given a heap size', async () => {
    const { child, report } = start(['0'], '--max-old-space-size=300');
    const ran = await report;
    expect(ran.pid).toBe(child.pid);
    expect(ran.execArgv).toEqual([]);
    expect(ran.heapLimitMb).toBeGreaterThan(300);
    expect(await exitOf(child)).toEqual([0, null]);
  }, 30_000);

  it('passes SIGTERM to the service and ends as it does', async () => {
    const { child, report } = start(['wait']);
    await report;
    const exit = exitOf(child);
    child.kill('SIGTERM');
    expect(await exit).toEqual([7, null]);
  }, 30_000);

  it('takes the service down with it when the launcher is killed', async () => {
    const { child, report } = start(['wait']);
    const { pid } = await report;
    const exit = exitOf(child);
    child.kill('SIGKILL');
    await exit;
    // The service notices its launcher's end through the closed IPC channel: wait for that, bounded by the test's timeout.
    while (running(pid)) await new Promise((r) => setTimeout(r, 50));
  }, 30_000);
});

/** Alive and not a zombie (an orphan's zombie stays until whoever adopted it reaps it). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
