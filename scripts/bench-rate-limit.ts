// Rate-limit utilisation on the hard path (issue 11): N hard rows (strategy large-only) against the
// reference LLM in its own process, answering in 200-500 ms (uniform) under its own ceiling of
// --rpm requests/min, with the endpoint's ceiling (LLM_ENDPOINTS maxRequestsPerMinute) set to the same
// --rpm, and --callers llm-caller processes. Ingest, scorer, router and finalize run in this process.
// Each caller's Prometheus counters are read every second; the steady window runs from the time 10% of
// the rows were answered to the time 90% were, leaving out ramp-up and tail. Prints achieved rpm,
// utilisation (achieved / ceiling), 429s (seen by the callers and refused by the server), each
// caller's share, and Redis commands per hard row (INFO commandstats of a Redis of its own, whole run).
//   node_modules/.bin/tsx scripts/bench-rate-limit.ts [--rows 7500] [--rpm 3000] [--callers 3]
//     [--latency 200-500] [--rows-per-job k] [--concurrency n]   (n: LLM_CONCURRENCY per caller)
//     [--caller-node-args="--cpu-prof --cpu-prof-dir=DIR"]   (Node flags for the llm-caller processes)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ManifestInput } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { getJson, putBytes, putJson, startLocalS3 } from '@datashunt/storage';
import { startLocalStack } from '../packages/cli/dist/index.js';
import { buildStandIn, writeStandIn } from '../services/reference-llm/dist/index.js';
import { startReferenceLlmProcess } from './reference-llm-process.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '7500' },
    rpm: { type: 'string', default: '3000' },
    callers: { type: 'string', default: '3' },
    latency: { type: 'string', default: '200-500' },
    'rows-per-job': { type: 'string' },
    concurrency: { type: 'string' },
    'caller-node-args': { type: 'string' },
  },
});
const rows = Number(values.rows);
const rpm = Number(values.rpm);
const callers = Number(values.callers);
const SAMPLE_MS = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'ds-ratebench-'));
const redisPort = await freePort();
const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
while (!(await answers(redisPort))) await new Promise((r) => setTimeout(r, 100));

await buildDataset('spam');
const paths = datasetPaths('spam');
const train = await readJsonlFileAll<{ id: string; input: string; label: string }>(paths.train);
const modelsDir = join(dir, 'reference-llm');
await writeStandIn(modelsDir, await buildStandIn({ trainPath: paths.train, task: 'spam', perClass: 100, seed: 7 }));
const llm = await startReferenceLlmProcess(modelsDir, { REFERENCE_LLM_LATENCY_MS: values.latency!, REFERENCE_LLM_MAX_RPM: String(rpm) });
const s3 = await startLocalS3({ directory: join(dir, 's3') });

const env: Record<string, string> = {
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  REDIS_CHECK_SETTINGS: 'false',
  QUEUE_PREFIX: `rate${randomBytes(3).toString('hex')}`,
  S3_ENDPOINT: s3.endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_BUCKET: 'datashunt-ratebench',
  OPENAI_BASE_URL: `${llm.url}/v1`,
  LLM_ENDPOINTS: JSON.stringify({ default: { baseURL: `${llm.url}/v1`, apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: rpm } }),
  OPENAI_API_KEY: 'bench',
  SWEEP_EVERY_MS: '0',
  INGEST_HTTP_PORT: '0',
  WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  DASHBOARD_PASSWORD: randomBytes(12).toString('base64url'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ...(values['rows-per-job'] ? { LLM_ROWS_PER_JOB: values['rows-per-job'] } : {}),
  ...(values.concurrency ? { LLM_CONCURRENCY: values.concurrency } : {}),
};
const stack = await startLocalStack({ dataDir: dir, services: ['ingest', 'scorer', 'router', 'finalize'], env, logLevel: env.LOG_LEVEL });
const { runtime } = stack;
const redis = runtime.redis;
await trainAndRegister({
  registry: new ModelRegistry(runtime.s3, runtime.bucket),
  name: 'bench-spam',
  family: 'text-fasttext',
  labels: ['ham', 'spam'],
  train,
  validation: await readJsonlFileAll(paths.validation),
  hyper: { epochs: 2 },
});
// Every prompt is new (each row ends with its own tag): the response cache never answers.
const texts = train.map((r) => r.input.slice(0, 1_500));
await putBytes(runtime.s3, { bucket: runtime.bucket, key: 'datasets/rate.jsonl' }, Array.from({ length: rows }, (_, i) => `${JSON.stringify({ id: `r${i}`, input: `${texts[i % texts.length]}\n(${env.QUEUE_PREFIX}-r${i})` })}\n`).join(''));

const metricsPorts = await Promise.all(Array.from({ length: callers }, () => freePort()));
const children = metricsPorts.map((port) => spawn(process.execPath, [...(values['caller-node-args']?.split(' ') ?? []), 'services/llm-caller/dist/main.js'], { env: { ...process.env, ...env, METRICS_PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] }));
while ((await runtime.queues.queue('llm').getWorkersCount()) < callers) await new Promise((r) => setTimeout(r, 200));

const manifest: ManifestInput = {
  name: 'rate',
  task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?' },
  input: { uri: 'datasets/rate.jsonl' },
  smallModel: { name: 'bench-spam' },
  strategy: 'large-only',
  largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } },
  delta: 0.99,
  budgetUsd: 1_000,
  shardSize: 1_000,
};
const commandsBefore = await redisCommandCalls();
const cpuBefore = cpuOfAll();
const samples: Array<{ t: number; ok: number[]; limited: number[] }> = [];
const started = performance.now();
await putJson(runtime.s3, { bucket: runtime.bucket, key: 'manifests/rate.json' }, manifest);
await runtime.queues.add({ name: 'manifest-sweep', data: {} });
const sampler = setInterval(() => void sample(), SAMPLE_MS);
const outcome = await stack.watcher.wait('manifests/rate.json', 60 * 60_000);
clearInterval(sampler);
await sample();
const commandsAfter = await redisCommandCalls();
const commandCalls = [...commandsAfter].map(([name, calls]) => [name, calls - (commandsBefore.get(name) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
const commands = commandCalls.reduce((sum, [, calls]) => sum + calls, 0);
const cpuAfter = cpuOfAll();
const wallSeconds = (performance.now() - started) / 1000;
if (outcome.status !== 'finished') throw new Error(`run failed: ${JSON.stringify(outcome)}`);
const report = await getJson<{ rows: number; bySource: Record<string, number> }>(runtime.s3, { bucket: runtime.bucket, key: outcome.reportKey });
const server = (await (await fetch(`${llm.url}/admin/stats`)).json()) as { requests: number; overCeiling: number };

const total = (s: (typeof samples)[number]) => s.ok.reduce((a, b) => a + b, 0);
const from = at(0.1 * rows);
const to = at(0.9 * rows);
const steady = samples.filter((s) => s.t >= from && s.t <= to);
const first = steady[0]!;
const last = steady[steady.length - 1]!;
const achieved = ((total(last) - total(first)) / (last.t - first.t)) * 60_000;
const shares = first.ok.map((ok, i) => (last.ok[i]! - ok) / (total(last) - total(first)));
const limited = samples[samples.length - 1]!.limited;
console.log(
  [
    `rows ${rows}, callers ${callers} x LLM_CONCURRENCY ${env.LLM_CONCURRENCY ?? 'default'}, rows per job ${env.LLM_ROWS_PER_JOB ?? 'default'}, latency ${values.latency} ms, ceiling ${rpm} rpm`,
    `report: ${report.rows} rows, by source ${JSON.stringify(report.bySource)}; wall ${wallSeconds.toFixed(1)} s`,
    `steady window ${((last.t - first.t) / 1000).toFixed(1)} s (10%-90% of rows answered): ${achieved.toFixed(0)} rpm, utilisation ${((100 * achieved) / rpm).toFixed(1)}%`,
    `429s: callers saw ${limited.reduce((a, b) => a + b, 0)} (${limited.join(', ')}), server refused ${server.overCeiling} of ${server.requests} requests`,
    `per-caller share of the window: ${shares.map((s) => `${(100 * s).toFixed(1)}%`).join(', ')}`,
    `Redis: ${commands} commands, ${(commands / rows).toFixed(1)} per hard row (whole run, every process); most called per row: ${commandCalls.slice(0, 6).map(([name, calls]) => `${name} ${(calls / rows).toFixed(1)}`).join(', ')}`,
    `CPU ms per hard row: ${Object.keys(cpuAfter).map((name) => `${name} ${(((cpuAfter[name]! - cpuBefore[name]!) * 1000) / rows).toFixed(2)}`).join(', ')}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  ].join('\n'),
);

for (const child of [...children, llm.child]) await stop(child);
await stack.close();
await s3.close();
await stop(redisServer);
rmSync(dir, { recursive: true, force: true });
process.exit(0);

/** CPU seconds so far of each process taking part (the callers summed). */
function cpuOfAll(): Record<string, number> {
  return {
    callers: children.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0),
    'bench (ingest, scorer, router, finalize, S3)': cpuSeconds(process.pid),
    'reference LLM': cpuSeconds(llm.child.pid!),
    redis: cpuSeconds(redisServer.pid!),
  };
}

/** User + system CPU time of a process so far (clock ticks of /proc/<pid>/stat, 100 per second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** When the total of answered rows crossed `count`, from the samples (linear between two). */
function at(count: number): number {
  const i = samples.findIndex((s) => total(s) >= count);
  if (i <= 0) return samples[Math.max(i, 0)]!.t;
  const [a, b] = [samples[i - 1]!, samples[i]!];
  return a.t + ((count - total(a)) / (total(b) - total(a))) * (b.t - a.t);
}

async function sample(): Promise<void> {
  const t = performance.now();
  const counts = await Promise.all(metricsPorts.map(callerCounts));
  samples.push({ t, ok: counts.map((c) => c.ok), limited: counts.map((c) => c.limited) });
}

async function callerCounts(port: number): Promise<{ ok: number; limited: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const count = (outcome: string) => Number(new RegExp(`^datashunt_llm_calls_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { ok: count('ok'), limited: count('429') };
}

/** Calls so far by command (INFO commandstats: `cmdstat_<name>:calls=<n>,...`). */
async function redisCommandCalls(): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
