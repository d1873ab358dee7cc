// The fault matrix of issue 9: each scenario is one run of N SpamAssassin rows through
// the services as their own processes, on a Redis of its own (started here, so it can be killed and
// restarted), the embedded S3 server in this process (stopped and restarted on the same port and folder)
// and the reference LLM in its own process. For each scenario it prints rows in, results, rejects,
// duplicates (a line in results+rejects twice), lost (a line in neither), completions billed at the
// reference LLM against what the run's meter counted as paid and against unique hard rows, the run
// status and the time from the fault's end to the report. --delta sets the hard share: measured at
// 1,000 rows, 0.99 sends about 28% to the large model and 0.9999 about 88%.
// Exits 1 when any scenario lost or duplicated a row or paid a call twice.
//   node_modules/.bin/tsx scripts/fault-matrix.ts [--rows 3000] [--delta 0.99] [--long]
//     [--only kill-scorer,s3-20s] [--timeout-min 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReportSchema, RejectRecordSchema, ResultRecordSchema, type ManifestInput, type Report } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { createRuntime, loadConfig, type Runtime } from '@datashunt/runtime';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { createS3Client, deleteObject, ensureBucket, getJson, listObjects, putBytes, putJson, readAllJsonl, startLocalS3, toJsonl, type LocalS3 } from '@datashunt/storage';
// Built output, as scripts/bench-pipeline.ts uses it: the root package does not depend on services.
import { buildStandIn, writeStandIn } from '../services/reference-llm/dist/index.js';
import { startReferenceLlmProcess } from './reference-llm-process.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '3000' },
    delta: { type: 'string', default: '0.99' },
    long: { type: 'boolean', default: false },
    only: { type: 'string' },
    'timeout-min': { type: 'string', default: '20' },
  },
});
const ROWS = Number(values.rows);
const SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize'] as const;
type Service = (typeof SERVICES)[number];
const QUEUE_OF = { ingest: 'ingest', scorer: 'score', router: 'route', 'llm-caller': 'llm', finalize: 'finalize' } as const;
const BUCKET = 'datashunt-faults';
/** Timed-out requests in the LLM mix wait this long; LLM_TIMEOUT_MS is set below it for that scenario. */
const SLOW_MS = 6_000;
const HEADER = '| scenario | rows in | hard | results | rejects | duplicates | lost | billed | meter paid | unique hard | over budget | status | recover s | ok |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';

/** What a scenario does once its run is under way; resolves at the fault's end (performance.now()). */
type Fault = (ctx: Ctx) => Promise<number>;
interface Scenario {
  name: string;
  fault: Fault;
  aof?: boolean;
  env?: Record<string, string>;
  budgetUsd?: number;
  llmCallers?: number;
  /** Reference LLM faults queued before the manifest is dropped. */
  llmFaults?: () => unknown[];
}
interface Ctx {
  runtime: Runtime;
  workers: Map<string, ChildProcess>;
  redis: RedisProcess;
  hardExpected: number;
  restart(name: string): void;
}

const dir = mkdtempSync(join(tmpdir(), 'ds-faults-'));
const s3Dir = join(dir, 's3');
let s3server: LocalS3 = await startLocalS3({ directory: s3Dir });
const s3Port = Number(new URL(s3server.endpoint).port);
const s3 = createS3Client({ endpoint: s3server.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
await ensureBucket(s3, BUCKET);

await buildDataset('spam');
const paths = datasetPaths('spam');
const rowsOf = (path: string) => readJsonlFileAll<{ id: string; input: string; label: string }>(path);
const [train, validation, test] = await Promise.all([rowsOf(paths.train), rowsOf(paths.validation), rowsOf(paths.test)]);
const registry = new ModelRegistry(s3, BUCKET);
await trainAndRegister({ registry, name: 'spam-text', family: 'text-fasttext', labels: ['ham', 'spam'], train, validation, hyper: { epochs: 4, seed: 3 } });
const llm = await startReferenceLlm();

const baseEnv: Record<string, string | undefined> = {
  ...process.env,
  S3_ENDPOINT: s3server.endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_BUCKET: BUCKET,
  S3_FORCE_PATH_STYLE: 'true',
  QUEUE_PREFIX: 'faults',
  // Each service sweeps the manifest prefix itself, so a run is found again after a Redis restart.
  SWEEP_EVERY_MS: '5000',
  INGEST_HTTP_PORT: '0',
  WEBHOOK_SECRET: 'fault-matrix-webhook-secret-0123456789',
  OPENAI_BASE_URL: llm.baseURL,
  OPENAI_MAX_RPM: '60000',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // Shorter than the 30 s defaults so a killed worker's job is taken over within a scenario's minutes.
  JOB_LOCK_MS: process.env.JOB_LOCK_MS ?? '10000',
  STALLED_CHECK_MS: process.env.STALLED_CHECK_MS ?? '10000',
};

/** A seeded uniform generator (mulberry32), so the LLM fault mix is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 20% 429, 5% 500, 2% timeouts, 2% malformed; the rest answer normally (a zero-delay `slow`). */
function llmMix(count: number): unknown[] {
  const random = seeded(9);
  return Array.from({ length: count }, () => {
    const r = random();
    if (r < 0.2) return { kind: '429', retryAfterSeconds: 1 };
    if (r < 0.25) return { kind: '500' };
    if (r < 0.27) return { kind: 'slow', delayMs: SLOW_MS };
    if (r < 0.29) return { kind: 'malformed' };
    return { kind: 'slow', delayMs: 0 };
  });
}

const killAndRestart = (service: Service): Fault => async (ctx) => {
  // llm-caller and finalize: wait until the large model is being asked (or the run is finishing).
  if (service === 'llm-caller') await until(async () => (await llmStats()).completions - completionsAtStart >= ctx.hardExpected * 0.25);
  else await until(async () => (await ctx.runtime.queues.queue(QUEUE_OF[service]).getActiveCount()) > 0, 20);
  ctx.workers.get(service)!.kill('SIGKILL');
  await once(ctx.workers.get(service)!, 'exit');
  ctx.restart(service);
  return performance.now();
};

const scenarios: Scenario[] = [
  ...SERVICES.map((service) => ({ name: `kill-${service}`, fault: killAndRestart(service) })),
  {
    name: 'sigterm-llm-caller',
    fault: async (ctx) => {
      await until(async () => (await llmStats()).completions - completionsAtStart >= ctx.hardExpected * 0.25);
      const child = ctx.workers.get('llm-caller')!;
      child.kill('SIGTERM');
      await once(child, 'exit');
      ctx.restart('llm-caller');
      return performance.now();
    },
  },
  ...[{ name: 's3-20s', ms: 20_000 }, ...(values.long ? [{ name: 's3-2min', ms: 120_000 }] : [])].map(({ name, ms }) => ({
    name,
    fault: async (ctx: Ctx) => {
      await until(async () => (await llmStats()).completions - completionsAtStart >= ctx.hardExpected * 0.1);
      await s3server.close();
      // The scenario is an outage of a given length.
      await sleep(ms);
      s3server = await startLocalS3({ directory: s3Dir, port: s3Port });
      return performance.now();
    },
  })),
  ...[true, false].map((aof) => ({
    name: `redis-restart-${aof ? 'aof' : 'no-aof'}`,
    aof,
    fault: async (ctx: Ctx) => {
      await until(async () => (await llmStats()).completions - completionsAtStart >= ctx.hardExpected * 0.25);
      await ctx.redis.kill();
      await ctx.redis.start();
      return performance.now();
    },
  })),
  {
    name: 'llm-fault-mix',
    env: { LLM_TIMEOUT_MS: String(SLOW_MS - 2_000) },
    llmFaults: () => llmMix(ROWS),
    fault: async () => performance.now(),
  },
  {
    name: 'budget-two-callers',
    env: { LLM_CONCURRENCY: '16' },
    llmCallers: 2,
    // Well below what the hard rows cost (a few hundred input tokens each at $0.15 per 1M), so it is reached mid-run.
    budgetUsd: 0.02,
    fault: async () => performance.now(),
  },
];

// In the order --only names them.
const selected = values.only ? values.only.split(',').map((name) => scenarios.find((s) => s.name === name) ?? fail(`no scenario ${name}`)) : scenarios;
let completionsAtStart = 0;
const rows: string[] = [];
let failed = false;
console.log(`fault matrix: ${ROWS} rows per scenario, delta ${values.delta}, ${new Date().toISOString()}`);
console.log(HEADER);
for (const scenario of selected) {
  const outcome = await runScenario(scenario);
  failed ||= outcome.bad;
  rows.push(outcome.line);
  console.log(outcome.line);
}
console.log(`\n${HEADER}\n${rows.join('\n')}`);
llm.child.kill('SIGTERM');
await once(llm.child, 'exit');
await s3server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

async function runScenario(scenario: Scenario): Promise<{ line: string; bad: boolean }> {
  const redis = await startRedis(scenario.aof ?? false);
  const env = { ...baseEnv, REDIS_URL: `redis://127.0.0.1:${redis.port}`, ...scenario.env };
  const runtime = await createRuntime(loadConfig(env), 'fault-matrix', undefined);
  const workers = new Map<string, ChildProcess>();
  const extra: ChildProcess[] = [];
  const spawnService = (name: string) => spawn(process.execPath, [`services/${name}/dist/main.js`], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const name of SERVICES) workers.set(name, spawnService(name));
  for (let i = 1; i < (scenario.llmCallers ?? 1); i++) extra.push(spawnService('llm-caller'));
  await until(async () => (await Promise.all(SERVICES.map((s) => runtime.queues.queue(QUEUE_OF[s]).getWorkersCount()))).every((c) => c > 0));

  const name = `fm-${scenario.name}`;
  // Unique text per row and scenario: the response cache would otherwise answer repeats without a call.
  const input = Array.from({ length: ROWS }, (_, i) => ({ id: `${name}-${i}`, input: `${test[i % test.length]!.input}\n(${name}-${i})` }));
  await putBytes(s3, { bucket: BUCKET, key: `datasets/${name}.jsonl` }, toJsonl(input));
  await llmFetch('faults', { method: 'DELETE' });
  if (scenario.llmFaults) await llmFetch('faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults: scenario.llmFaults() }) });
  completionsAtStart = (await llmStats()).completions;
  const manifest: ManifestInput = {
    name,
    task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?' },
    input: { uri: `datasets/${name}.jsonl` },
    smallModel: { name: 'spam-text' },
    largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } },
    delta: Number(values.delta),
    budgetUsd: scenario.budgetUsd ?? 100,
    shardSize: 500,
  };
  await putJson(s3, { bucket: BUCKET, key: `manifests/${name}.json` }, manifest);
  const ctx: Ctx = {
    runtime,
    workers,
    redis,
    // The measured hard share of these rows at this delta is close to a half; the triggers only need a rough figure.
    hardExpected: ROWS / 2,
    restart: (service) => workers.set(service, spawnService(service)),
  };
  const started = performance.now();
  const faultEnd = await Promise.race([scenario.fault(ctx), sleep(Number(values['timeout-min']) * 60_000).then(() => performance.now())]);
  const report = await waitForReport(name, started + Number(values['timeout-min']) * 60_000);
  const recoverSeconds = (performance.now() - faultEnd) / 1000;
  const billed = (await llmStats()).completions - completionsAtStart;

  for (const child of [...workers.values(), ...extra]) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await runtime.close();
  await redis.kill();
  // Later scenarios' fresh Redis would otherwise sweep this manifest again, and a run that never
  // finished here would be re-run and billed there.
  await deleteObject(s3, { bucket: BUCKET, key: `manifests/${name}.json` });

  if (!report) return { line: `| ${scenario.name} | ${ROWS} | - | - | - | - | ${ROWS} | ${billed} | - | - | - | no report | - | LOST |`, bad: true };
  const { counts, uniqueHard, overBudget, unresolved } = await tally(report);
  // A row the large model could not place is asked once more, strictly: two completions, one row.
  const paidTwice = billed > uniqueHard + unresolved;
  const bad = counts.duplicates > 0 || counts.lost > 0 || paidTwice;
  const line = `| ${scenario.name} | ${ROWS} | ${uniqueHard + overBudget} | ${report.results} | ${report.rejects} | ${counts.duplicates} | ${counts.lost} | ${billed} | ${report.requests?.paid ?? '-'} | ${uniqueHard}${unresolved ? ` (+${unresolved} unresolved)` : ''} | ${overBudget} | ${report.status} | ${recoverSeconds.toFixed(0)} | ${bad ? 'FAIL' : 'ok'} |`;
  return { line, bad };
}

/** Duplicates and lost lines over results + rejects, and the hard rows the large model was asked about. */
async function tally(report: Report) {
  const root = `runs/${report.runId}/`;
  const results = (await readAllJsonl(s3, { bucket: BUCKET, key: `${root}results.jsonl` })).map((r) => ResultRecordSchema.parse(r));
  const rejects = (await readAllJsonl(s3, { bucket: BUCKET, key: `${root}rejects.jsonl` }).catch(() => [])).map((r) => RejectRecordSchema.parse(r));
  const seen = new Map<number, number>();
  for (const { line } of [...results, ...rejects]) seen.set(line, (seen.get(line) ?? 0) + 1);
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  let lost = 0;
  for (let line = 1; line <= ROWS; line++) if (!seen.has(line)) lost += 1;
  const hard = results.filter((r) => r.source === 'large' || r.source === 'fallback');
  const overBudget = hard.filter((r) => r.fallbackReason === 'over_budget').length;
  return {
    counts: { duplicates, lost },
    uniqueHard: new Set(hard.filter((r) => r.fallbackReason !== 'over_budget').map((r) => r.line)).size,
    overBudget,
    unresolved: hard.filter((r) => r.fallbackReason === 'unresolved').length,
  };
}

/** Polled (a measurement script, and the watcher's Redis may be the thing restarted): the run's report in S3. */
async function waitForReport(name: string, deadline: number): Promise<Report | undefined> {
  while (performance.now() < deadline) {
    try {
      for await (const object of listObjects(s3, BUCKET, `runs/${name}-`)) {
        if (object.key.endsWith('/report.json')) {
          const report = ReportSchema.parse(await getJson(s3, { bucket: BUCKET, key: object.key }));
          if (report.status !== 'running') return report;
        }
      }
    } catch {
      // S3 is down in this scenario: look again.
    }
    await sleep(1_000);
  }
  return undefined;
}

function fail(message: string): never {
  throw new Error(message);
}

async function until(check: () => Promise<boolean>, everyMs = 200): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
}

interface RedisProcess {
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** A redis-server of the scenario's own on a free port and folder, killed with SIGKILL and restarted on both. */
async function startRedis(aof: boolean): Promise<RedisProcess> {
  const port = await freePort();
  const redisDir = mkdtempSync(join(dir, 'redis-'));
  let child: ChildProcess | undefined;
  const redis: RedisProcess = {
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', aof ? 'yes' : 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! });
      for await (const line of lines) if (line.includes('Ready to accept connections')) break;
      child.stdout!.resume();
    },
    async kill() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
  await redis.start();
  return redis;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function llmFetch(path: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(`${llm.adminURL}/${path}`, init);
  if (!res.ok) throw new Error(`reference LLM ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function llmStats(): Promise<{ completions: number }> {
  return (await llmFetch('stats')) as { completions: number };
}

/** The reference LLM in its own process (as deployed), answering with a stand-in built from the training split. */
async function startReferenceLlm(): Promise<{ child: ChildProcess; baseURL: string; adminURL: string }> {
  const modelsDir = join(dir, 'reference-llm');
  await writeStandIn(modelsDir, await buildStandIn({ trainPath: paths.train, task: 'spam', perClass: 40, seed: 7 }));
  const { child, url } = await startReferenceLlmProcess(modelsDir);
  return { child, baseURL: `${url}/v1`, adminURL: `${url}/admin` };
}
