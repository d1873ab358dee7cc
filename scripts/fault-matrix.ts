// The fault matrix of issue 9: each scenario is one run of N SpamAssassin rows through
// the services as their own processes, on a Redis of its own (started here, so it can be killed and
// restarted), the embedded S3 server in this process (stopped and restarted on the same port and folder)
// and the reference LLM in its own process. For each scenario it prints rows in, results, rejects,
// duplicates (a line in results+rejects twice), lost (a line in neither), completions billed at the
// reference LLM against what the run's meter counted as paid and possibly paid and against unique
// hard rows, the run status, the run's time and the time from the fault's end to the report; notes
// below the table say what a scenario checked beyond that. --delta sets the hard share: measured over
// 3,000 rows, 0.998 sends about 50% to the large model (0.99 about 28%, 0.9999 about 88%).
// Exits 1 when any scenario lost or duplicated a row, paid an answer twice, was billed for a request
// its meter does not count (paid or possibly paid), or failed a check of its own.
//   node_modules/.bin/tsx scripts/fault-matrix.ts [--rows 3000] [--delta 0.998]
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
import { ReportSchema, RejectRecordSchema, ResultRecordSchema, runKeys, type ManifestInput, type Report } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { createRuntime, loadConfig, nodeOptionsOf, ownKeyPrefix, type HeapService, type Runtime } from '@datashunt/runtime';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { createS3Client, deleteObject, ensureBucket, getJsonIfExists, listPrefixes, putBytes, putJson, readAllJsonl, startLocalS3, toJsonl, type LocalS3 } from '@datashunt/storage';
// Built output, as scripts/bench-pipeline.ts uses it: the root package does not depend on services.
import { buildStandIn, writeStandIn } from '../services/reference-llm/dist/index.js';
import { startReferenceLlmProcess } from './reference-llm-process.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '3000' },
    delta: { type: 'string', default: '0.998' },
    only: { type: 'string' },
    'timeout-min': { type: 'string', default: '20' },
  },
});
const ROWS = Number(values.rows);
const TIMEOUT_MS = Number(values['timeout-min']) * 60_000;
const SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize'] as const;
type Service = (typeof SERVICES)[number];
const QUEUE_OF = { ingest: 'ingest', scorer: 'score', router: 'route', 'llm-caller': 'llm', finalize: 'finalize' } as const;
const BUCKET = 'datashunt-faults';
const MODEL = 'reference-generalist';
/** The 1-rpm neighbour asks under another model name, so the reference LLM counts its completions apart. */
const SLOW_MODEL = 'reference-slow';
/** Rows of the 1-rpm neighbour: several times the llm-caller's 16 slots of hard rows. */
const SLOW_ROWS = 200;
/** Timed-out requests in the LLM mix wait this long; LLM_TIMEOUT_MS is set below it for that scenario. */
const SLOW_MS = 6_000;
const HEADER =
  '| scenario | rows in | hard | results | rejects | duplicates | lost | billed | meter paid | meter possibly paid | unique hard | over budget | status | run s | recover s | ok |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';

/** What a scenario does once its run is under way; resolves at the fault's end (performance.now()). */
type Fault = (ctx: Ctx) => Promise<number>;
/** For conditions that last the whole run (no fault, the LLM mix, the budget, the neighbour): there is no recovery to time. */
const wholeRun: Fault = async () => performance.now();
interface Scenario {
  name: string;
  fault: Fault;
  /** Runs before the scenario's manifest is dropped. */
  before?: (ctx: Ctx) => Promise<void>;
  /** Runs once the scenario's run has its report, before the services stop. */
  after?: (ctx: Ctx, report: Report) => Promise<void>;
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
  manifestKey: string;
  /** Milliseconds (performance.now()) when the manifest was dropped. */
  started: number;
  restart(name: Service): void;
  /** Announces an object as S3 would, through ingest's notification endpoint; the keys ingest accepted. */
  announce(key: string): Promise<string[]>;
  /** A line under the table about this scenario. */
  note(text: string): void;
  /** A check of the scenario's own that did not hold: the scenario fails. */
  fail(text: string): void;
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
const WEBHOOK_SECRET = 'fault-matrix-webhook-secret-0123456789';

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
  WEBHOOK_SECRET,
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

/** Completions billed for the scenario's own run so far. */
const billedSoFar = async () => ((await llmStats()).models[MODEL] ?? 0) - completionsAtStart;

/** Resolves once the reference LLM has answered this share of the expected hard rows. */
const llmProgress = (ctx: Ctx, share: number) => until(async () => (await billedSoFar()) >= ctx.hardExpected * share);

const killAndRestart = (service: Service): Fault => async (ctx) => {
  // llm-caller and finalize: wait until the large model is being asked (or the run is finishing).
  if (service === 'llm-caller') await llmProgress(ctx, 0.25);
  else await until(async () => (await ctx.runtime.queues.queue(QUEUE_OF[service]).getActiveCount()) > 0, 20);
  ctx.workers.get(service)!.kill('SIGKILL');
  await once(ctx.workers.get(service)!, 'exit');
  ctx.restart(service);
  return performance.now();
};

/** Run time of the fault-free scenario in this invocation, for the 1-rpm neighbour's comparison. */
let baselineSeconds: number | undefined;

/**
 * The same manifest version dropped again mid-run (S3 gives the same bytes the same ETag) and announced
 * twice more; once the run has finished, its jobs and manifest-seen markers are removed from Redis and
 * it is announced again: one run, nothing paid again, the report untouched.
 */
const manifestTwice: Fault = async (ctx) => {
  const manifest = await getJsonIfExists(s3, { bucket: BUCKET, key: ctx.manifestKey });
  await ctx.announce(ctx.manifestKey);
  await llmProgress(ctx, 0.1);
  await putJson(s3, { bucket: BUCKET, key: ctx.manifestKey }, manifest);
  const acceptedAgain = [...(await ctx.announce(ctx.manifestKey)), ...(await ctx.announce(ctx.manifestKey))];
  if (acceptedAgain.length) ctx.fail(`the second drop was accepted as a new run: ${acceptedAgain.join(', ')}`);
  const report = await waitForReport(ctx.manifestKey, ctx.started + TIMEOUT_MS);
  if (!report) return performance.now();
  const billedAtReport = await billedSoFar();

  const { runtime } = ctx;
  for (const queue of runtime.queues.allQueues()) await queue.obliterate({ force: true });
  const markers = await runtime.redis.keys(`${ownKeyPrefix(runtime.config.QUEUE_PREFIX)}manifest-seen:*`);
  if (markers.length) await runtime.redis.del(...markers);
  const reannounced = performance.now();
  // The sweep may list it first: either way one manifest-ingest job answers.
  const acceptedBy = (await ctx.announce(ctx.manifestKey)).includes(ctx.manifestKey) ? 'the notification' : 'the sweep';
  const ingest = runtime.queues.queue('ingest');
  let answer: { status?: string; runId?: string } | undefined;
  await until(async () => {
    const jobs = await ingest.getJobs(['completed', 'failed']);
    const job = jobs.find((j) => j.name === 'manifest-ingest' && (j.data as { key: string }).key === ctx.manifestKey);
    answer = job?.returnvalue as typeof answer;
    return job !== undefined;
  }, 500);
  const answeredSeconds = (performance.now() - reannounced) / 1000;
  const extra = (await billedSoFar()) - billedAtReport;
  const after = await waitForReport(ctx.manifestKey, performance.now() + 60_000);
  const unchanged = after?.finishedAt === report.finishedAt;
  if (answer?.status !== 'already-finished' || answer.runId !== report.runId) ctx.fail(`the re-announce answered ${JSON.stringify(answer)}, not already-finished`);
  if (extra > 0) ctx.fail(`${extra} completions billed after the run had finished`);
  if (!unchanged) ctx.fail('the report was written again');
  ctx.note(
    `dropped again mid-run and announced twice more: ${acceptedAgain.length} accepted as new; after the run, queues obliterated and ` +
      `manifest-seen markers deleted, re-announced (accepted by ${acceptedBy}): ingest answered ${answer?.status ?? 'nothing'} in ${answeredSeconds.toFixed(1)} s, ` +
      `${extra} completions billed after the report, report ${unchanged ? 'unchanged' : 'rewritten'}`,
  );
  return reannounced;
};

/** How often the 1-rpm run's active calls are sampled. */
const SAMPLE_MS = 250;
/** A 1-rpm call may sit in a slot for its short booked wait (LLM_MAX_RATE_WAIT_MS, 2 s) and its request; the bug held slots for minutes. */
const MAX_SLOT_HOLD_MS = 10_000;

/** The 1-rpm neighbour: dropped just before the scenario's own manifest, on the same endpoint. */
const slowNeighbour = {
  name: 'fm-low-rpm-slow',
  maxActive: 0,
  /** The longest a call of the 1-rpm run was seen active without a break, in ms. */
  longestHoldMs: 0,
  sampler: undefined as Promise<void> | undefined,
  stop: false,
  async before(ctx: Ctx) {
    const input = rowsFor(this.name, SLOW_ROWS);
    await putBytes(s3, { bucket: BUCKET, key: `datasets/${this.name}.jsonl` }, toJsonl(input));
    const manifest = manifestFor(this.name, `datasets/${this.name}.jsonl`, 100);
    manifest.largeModel = { ...manifest.largeModel, model: SLOW_MODEL, rateLimitRpm: 1 };
    await putJson(s3, { bucket: BUCKET, key: `manifests/${this.name}.json` }, manifest);
    // Held llm-caller slots are what starved other runs: watch the slow run's active calls all along.
    // Deferring a call takes a slot for milliseconds (many at once when the run starts); holding one is what counts.
    this.stop = false;
    this.maxActive = 0;
    this.longestHoldMs = 0;
    const llmQueue = ctx.runtime.queues.queue('llm');
    this.sampler = (async () => {
      let seenSince = new Map<string, number>();
      while (!this.stop) {
        const now = performance.now();
        const active = (await llmQueue.getJobs(['active']).catch(() => [])).filter((j) => String(j.data?.runId).startsWith(`${this.name}-`));
        this.maxActive = Math.max(this.maxActive, active.length);
        seenSince = new Map(active.map((j) => [j.id!, seenSince.get(j.id!) ?? now]));
        for (const since of seenSince.values()) this.longestHoldMs = Math.max(this.longestHoldMs, now - since);
        await sleep(SAMPLE_MS);
      }
    })();
  },
  async after(ctx: Ctx, report: Report) {
    this.stop = true;
    await this.sampler;
    const llmQueue = ctx.runtime.queues.queue('llm');
    const jobs = (await llmQueue.getJobs(['active', 'waiting', 'delayed', 'completed'])).filter((j) => String(j.data?.runId).startsWith(`${this.name}-`));
    const states = await Promise.all(jobs.map((j) => j.getState()));
    const count = (state: string) => states.filter((s) => s === state).length;
    const slowBilled = (await llmStats()).models[SLOW_MODEL] ?? 0;
    const runSeconds = (performance.now() - ctx.started) / 1000;
    const fallbacks = Object.entries(report.fallbackReasons);
    if (fallbacks.length) ctx.fail(`the normal run had fallbacks: ${JSON.stringify(report.fallbackReasons)}`);
    if (this.longestHoldMs > MAX_SLOT_HOLD_MS) ctx.fail(`a call of the 1-rpm run held an llm-caller slot for ${(this.longestHoldMs / 1000).toFixed(0)} s`);
    if (baselineSeconds !== undefined && runSeconds > baselineSeconds * 2) ctx.fail(`the normal run took ${runSeconds.toFixed(0)} s, over twice the fault-free run's ${baselineSeconds.toFixed(0)} s`);
    ctx.note(
      `normal run: ${report.results} results, ${fallbacks.length ? JSON.stringify(report.fallbackReasons) : 'no fallbacks'}, ${runSeconds.toFixed(0)} s` +
        `${baselineSeconds !== undefined ? ` (fault-free run: ${baselineSeconds.toFixed(0)} s)` : ''}; 1-rpm run (${SLOW_ROWS} rows, ${jobs.length} hard): ` +
        `${slowBilled} completions billed by then; its calls were seen in at most ${this.maxActive} llm-caller slots at once, none for longer than ` +
        `${(this.longestHoldMs / 1000).toFixed(1)} s (sampled every ${SAMPLE_MS} ms); ` +
        `${count('delayed')} delayed, ${count('waiting')} waiting, ${count('completed')} completed`,
    );
    // Its run would take hours at 1 rpm: stop it here, as the script removes every scenario's manifest.
    await deleteObject(s3, { bucket: BUCKET, key: `manifests/${this.name}.json` });
  },
};

const scenarios: Scenario[] = [
  {
    name: 'baseline',
    fault: wholeRun,
    after: async (ctx) => {
      baselineSeconds = (performance.now() - ctx.started) / 1000;
    },
  },
  ...SERVICES.map((service) => ({ name: `kill-${service}`, fault: killAndRestart(service) })),
  {
    name: 'sigterm-llm-caller',
    fault: async (ctx) => {
      await llmProgress(ctx, 0.25);
      const child = ctx.workers.get('llm-caller')!;
      child.kill('SIGTERM');
      await once(child, 'exit');
      ctx.restart('llm-caller');
      return performance.now();
    },
  },
  ...[
    { name: 's3-20s', ms: 20_000 },
    { name: 's3-2min', ms: 120_000 },
  ].map(({ name, ms }) => ({
    name,
    fault: async (ctx: Ctx) => {
      await llmProgress(ctx, 0.1);
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
      await llmProgress(ctx, 0.25);
      await ctx.redis.kill();
      await ctx.redis.start();
      return performance.now();
    },
  })),
  {
    name: 'llm-fault-mix',
    env: { LLM_TIMEOUT_MS: String(SLOW_MS - 2_000) },
    llmFaults: () => llmMix(ROWS),
    fault: wholeRun,
  },
  {
    name: 'budget-two-callers',
    env: { LLM_CONCURRENCY: '16' },
    llmCallers: 2,
    // Well below what the hard rows cost (a few hundred input tokens each at $0.15 per 1M), so it is reached mid-run.
    budgetUsd: 0.02,
    fault: wholeRun,
  },
  { name: 'manifest-twice', fault: manifestTwice },
  {
    name: 'low-rpm-neighbour',
    before: (ctx) => slowNeighbour.before(ctx),
    fault: wholeRun,
    after: (ctx, report) => slowNeighbour.after(ctx, report),
  },
];

// In the order --only names them, each once: a scenario's manifest version, run twice, is already finished the second time.
const selected = values.only ? values.only.split(',').map((name) => scenarios.find((s) => s.name === name) ?? fail(`no scenario ${name}`)) : scenarios;
if (new Set(selected).size !== selected.length) fail('--only names a scenario twice: its second run would find the first one finished');
let completionsAtStart = 0;
const rows: string[] = [];
const notes: string[] = [];
let failed = false;
console.log(`fault matrix: ${ROWS} rows per scenario, delta ${values.delta}, ${new Date().toISOString()}`);
console.log(HEADER);
for (const scenario of selected) {
  const outcome = await runScenario(scenario);
  failed ||= outcome.bad;
  rows.push(outcome.line);
  notes.push(...outcome.notes.map((note) => `- ${scenario.name}: ${note}`));
  console.log(outcome.line);
}
console.log(`\n${HEADER}\n${rows.join('\n')}${notes.length ? `\n\n${notes.join('\n')}` : ''}`);
llm.child.kill('SIGTERM');
await once(llm.child, 'exit');
await s3server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

/** Unique text per row and scenario: the response cache would otherwise answer repeats without a call. */
function rowsFor(name: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `${name}-${i}`, input: `${test[i % test.length]!.input}\n(${name}-${i})` }));
}

function manifestFor(name: string, inputKey: string, budgetUsd: number): ManifestInput & { largeModel: NonNullable<ManifestInput['largeModel']> } {
  return {
    name,
    task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?' },
    input: { uri: inputKey },
    smallModel: { name: 'spam-text' },
    largeModel: { model: MODEL, pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } },
    delta: Number(values.delta),
    budgetUsd,
    shardSize: 500,
  };
}

async function runScenario(scenario: Scenario): Promise<{ line: string; bad: boolean; notes: string[] }> {
  const redis = await startRedis(scenario.aof ?? false);
  const ingestPort = await freePort();
  const env = { ...baseEnv, REDIS_URL: `redis://127.0.0.1:${redis.port}`, INGEST_HTTP_PORT: String(ingestPort), ...scenario.env };
  const runtime = await createRuntime(loadConfig(env), 'fault-matrix', undefined);
  const workers = new Map<string, ChildProcess>();
  const extra: ChildProcess[] = [];
  // Heap flags given, as k8s gives them: the worker is the process this script kills, not a launcher in front of it.
  const spawnService = (name: HeapService) => spawn(process.execPath, [`services/${name}/dist/main.js`], { env: { ...env, NODE_OPTIONS: nodeOptionsOf(name) }, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const name of SERVICES) workers.set(name, spawnService(name));
  for (let i = 1; i < (scenario.llmCallers ?? 1); i++) extra.push(spawnService('llm-caller'));
  await until(async () => (await Promise.all(SERVICES.map((s) => runtime.queues.queue(QUEUE_OF[s]).getWorkersCount()))).every((c) => c > 0));

  const name = `fm-${scenario.name}`;
  const manifestKey = `manifests/${name}.json`;
  await putBytes(s3, { bucket: BUCKET, key: `datasets/${name}.jsonl` }, toJsonl(rowsFor(name, ROWS)));
  await llmFetch('faults', { method: 'DELETE' });
  if (scenario.llmFaults) await llmFetch('faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults: scenario.llmFaults() }) });
  const notes: string[] = [];
  let ownCheckFailed = false;
  const ctx: Ctx = {
    runtime,
    workers,
    redis,
    // The measured hard share of these rows at the default delta is close to a half; the triggers only need a rough figure.
    hardExpected: ROWS / 2,
    manifestKey,
    started: performance.now(),
    restart: (service) => workers.set(service, spawnService(service)),
    announce: (key) => announce(ingestPort, key),
    note: (text) => notes.push(text),
    fail: (text) => {
      ownCheckFailed = true;
      notes.push(`FAIL: ${text}`);
    },
  };
  await scenario.before?.(ctx);
  completionsAtStart = (await llmStats()).models[MODEL] ?? 0;
  await putJson(s3, { bucket: BUCKET, key: manifestKey }, manifestFor(name, `datasets/${name}.jsonl`, scenario.budgetUsd ?? 100));
  ctx.started = performance.now();
  const faultEnd = await Promise.race([scenario.fault(ctx), sleep(TIMEOUT_MS).then(() => performance.now())]);
  const report = await waitForReport(manifestKey, ctx.started + TIMEOUT_MS);
  const reportSeen = performance.now();
  const billed = await billedSoFar();
  if (report) await scenario.after?.(ctx, report);

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
  await deleteObject(s3, { bucket: BUCKET, key: manifestKey });

  if (!report) return { line: `| ${scenario.name} | ${ROWS} | - | - | - | - | ${ROWS} | ${billed} | - | - | - | - | no report | - | - | LOST |`, bad: true, notes };
  const { counts, uniqueHard, overBudget, unresolved } = await tally(report);
  const paid = report.requests?.paid ?? 0;
  const possiblyPaid = report.requests?.possiblyPaid ?? 0;
  // A row the large model could not place is asked once more, strictly: two paid answers, one row.
  const paidTwice = paid > uniqueHard + unresolved;
  // Every completion the provider billed is on the meter, as paid or as possibly paid.
  const unrecorded = billed > paid + possiblyPaid;
  if (paidTwice) notes.push(`FAIL: ${paid - uniqueHard - unresolved} answers paid twice`);
  if (unrecorded) notes.push(`FAIL: ${billed - paid - possiblyPaid} billed completions not on the meter`);
  if (Object.keys(report.fallbackReasons).length) notes.push(`fallbacks: ${JSON.stringify(report.fallbackReasons)}`);
  // The rows' own account (their cost is the report's costUsd) against the meter's.
  if (report.largeModelCalls.paid !== paid) notes.push(`rows answered by a paid call: ${report.largeModelCalls.paid} (+${report.largeModelCalls.cached} cached), meter paid ${paid}`);
  const bad = counts.duplicates > 0 || counts.lost > 0 || paidTwice || unrecorded || ownCheckFailed;
  const runSeconds = (reportSeen - ctx.started) / 1000;
  const recover = scenario.fault === wholeRun ? '-' : ((reportSeen - faultEnd) / 1000).toFixed(0);
  const line =
    `| ${scenario.name} | ${ROWS} | ${uniqueHard + overBudget} | ${report.results} | ${report.rejects} | ${counts.duplicates} | ${counts.lost} | ` +
    `${billed} | ${paid} | ${possiblyPaid} | ${uniqueHard}${unresolved ? ` (+${unresolved} unresolved)` : ''} | ${overBudget} | ${report.status} | ` +
    `${runSeconds.toFixed(0)} | ${recover} | ${bad ? 'FAIL' : 'ok'} |`;
  return { line, bad, notes };
}

/** Duplicates and lost lines over results + rejects, and the hard rows the large model was asked about. */
async function tally(report: Report) {
  const keys = runKeys('runs/', report.runId);
  const results = (await readAllJsonl(s3, { bucket: BUCKET, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
  const rejects = (await readAllJsonl(s3, { bucket: BUCKET, key: keys.rejects }).catch(() => [])).map((r) => RejectRecordSchema.parse(r));
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

/**
 * Polled (a measurement script, and the watcher's Redis may be the thing restarted): the finished
 * report of the manifest's run in S3. The run folder is found by a delimiter listing: a full listing
 * of a run with thousands of answer-log objects makes s3rver answer InternalError.
 */
async function waitForReport(manifestKey: string, deadline: number): Promise<Report | undefined> {
  const name = manifestKey.slice('manifests/'.length, -'.json'.length);
  while (performance.now() < deadline) {
    try {
      for await (const root of listPrefixes(s3, BUCKET, `runs/${name}-`)) {
        const report = await getJsonIfExists(s3, { bucket: BUCKET, key: `${root}report.json` });
        if (report) {
          const parsed = ReportSchema.parse(report);
          if (parsed.status !== 'running') return parsed;
        }
      }
    } catch {
      // S3 is down in this scenario: look again.
    }
    await sleep(1_000);
  }
  return undefined;
}

/** An S3 object-created event for `key`, posted to ingest's notification endpoint with the webhook secret. */
async function announce(port: number, key: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_SECRET}` },
    body: JSON.stringify({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key } } }] }),
  });
  if (res.status !== 202) throw new Error(`notification refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accepted: string[] }).accepted;
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

/** Completions answered, in all and per requested model name. */
async function llmStats(): Promise<{ completions: number; models: Record<string, number> }> {
  return (await llmFetch('stats')) as { completions: number; models: Record<string, number> };
}

/** The reference LLM in its own process (as deployed), answering with a stand-in built from the training split. */
async function startReferenceLlm(): Promise<{ child: ChildProcess; baseURL: string; adminURL: string }> {
  const modelsDir = join(dir, 'reference-llm');
  await writeStandIn(modelsDir, await buildStandIn({ trainPath: paths.train, task: 'spam', perClass: 40, seed: 7 }));
  const { child, url } = await startReferenceLlmProcess(modelsDir);
  return { child, baseURL: `${url}/v1`, adminURL: `${url}/admin` };
}
