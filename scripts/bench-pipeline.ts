// Pipeline benchmarks, each service its own process talking through Redis and the embedded S3 server.
// Easy path (issue 2): N rows, all easy, against an in-process loop doing the same parse + featurize +
// ONNX scoring, measured in the same run. Prints rows/s of both, their ratio, and each worker's peak RSS.
// Hard path (--hard, issue 8): N long SpamAssassin e-mails, every one sent to the large model
// (strategy large-only) at the reference LLM (its own process, no injected delay) under a ceiling far
// above what the machine reaches, so the pipeline is the bottleneck. Prints hard rows/s from manifest
// drop to report; with --redis-memory, also the Redis memory held per pending llm-call job.
// Finalize tail: how long the run's finalize job went on after the run was settled (its last shard routed).
// Planning time: from the manifest's drop to ingest having cut the input into shards (the run's
// progress hash gets its shard count), which reads no row however large the input.
// With --redis-ops, either path also prints Redis commands and bytes per 1,000 rows over the timed run
// (scripts/redis-usage.ts): run it against a Redis of its own, as every client's commands count.
//   node_modules/.bin/tsx scripts/bench-pipeline.ts [--rows 100000] [--rows 1000000] [--shard-size 5000] [--scorers 2]
//     [--worker-node-options "--max-old-space-size=192"]   (Node flags for the service processes only,
//     over the heap settings each service applies itself, SERVICE_HEAP in packages/runtime)
//     [--hard [--min-chars 2000] [--redis-memory]] [--redis-ops]
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { DatasetRowSchema, type ManifestInput } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { createRuntime, loadConfig, ownKeyPrefix, RunWatcher } from '@datashunt/runtime';
import { ModelRegistry, Scorer, trainAndRegister } from '@datashunt/small-models';
import { getJson, putJson, startLocalS3 } from '@datashunt/storage';
import { Upload } from '@aws-sdk/lib-storage';
// Built output, as scripts/bench-paper.ts uses the CLI's: the root package does not depend on services.
import { buildStandIn, writeStandIn } from '../services/reference-llm/dist/index.js';
import { startReferenceLlmProcess } from './reference-llm-process.js';
import { formatPerRow, readRedisUsage, usageBetween } from './redis-usage.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', multiple: true, default: ['100000'] },
    'shard-size': { type: 'string', default: '5000' },
    scorers: { type: 'string', default: '1' },
    'worker-node-options': { type: 'string' },
    hard: { type: 'boolean', default: false },
    'min-chars': { type: 'string', default: '2000' },
    'redis-memory': { type: 'boolean', default: false },
    'redis-ops': { type: 'boolean', default: false },
  },
});
const hard = values.hard!;
const SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize'];
const QUEUE_OF = { ingest: 'ingest', scorer: 'score', router: 'route', 'llm-caller': 'llm', finalize: 'finalize' } as const;
const BATCH = 256;
/** Far above what 2 cores reach, so no limiter ever waits: the pipeline, not the ceiling, sets the pace. */
const HARD_CEILING_RPM = 1_000_000;

const dir = mkdtempSync(join(tmpdir(), 'ds-bench-'));
const s3server = await startLocalS3({ directory: join(dir, 's3') });
const env: Record<string, string | undefined> = {
  ...process.env,
  S3_ENDPOINT: s3server.endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_BUCKET: 'datashunt-bench',
  // Tagged, so that REDIS_URL may name a Redis Cluster.
  QUEUE_PREFIX: `{bench${randomBytes(3).toString('hex')}}`,
  SWEEP_EVERY_MS: '0',
  INGEST_HTTP_PORT: '0',
  WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  SCORER_BATCH_SIZE: String(BATCH),
};

// The task: fine-foods reviews (easy path) or SpamAssassin e-mails (hard path), with its small model trained here once.
const task = hard
  ? { dataset: 'spam' as const, model: 'bench-spam', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?', epochs: 4 }
  : { dataset: 'fine-foods' as const, model: 'bench-text', labels: ['great', 'other'], instruction: 'Is this review great (5 stars) or other?', epochs: 3 };
await buildDataset(task.dataset);
const paths = datasetPaths(task.dataset);
const rowsOf = (path: string) => readJsonlFileAll<{ id: string; input: string; label: string }>(path);
const train = await rowsOf(paths.train);
const minChars = hard ? Number(values['min-chars']) : 0;
const texts = [...train, ...(await rowsOf(paths.validation)), ...(await rowsOf(paths.test))].map((r) => r.input).filter((t) => t.length >= minChars);
const meanChars = texts.reduce((sum, t) => sum + t.length, 0) / texts.length;

const referenceLlm = hard ? await startReferenceLlm(paths.train) : undefined;
if (referenceLlm) Object.assign(env, { OPENAI_BASE_URL: referenceLlm.baseURL, OPENAI_MAX_RPM: String(HARD_CEILING_RPM) });
const config = loadConfig(env);
const runtime = await createRuntime(config, 'bench', undefined);
const registry = new ModelRegistry(runtime.s3, runtime.bucket);
const trained = await trainAndRegister({ registry, name: task.model, family: 'text-fasttext', labels: task.labels, train, validation: await rowsOf(paths.validation), hyper: { epochs: task.epochs } });
console.log(`model ${task.model} ${trained.meta.version}: validation accuracy ${trained.evaluation.accuracy.toFixed(3)}; ${texts.length} texts of >= ${minChars} chars, mean ${meanChars.toFixed(0)}`);

const results: string[] = [];
for (const n of values.rows!.map(Number)) {
  const file = join(dir, `rows-${n}.jsonl`);
  await writeRows(file, n);
  const line = hard ? await hardPath(file, n) : await easyPath(file, n);
  console.log(line);
  results.push(line);
}
await runtime.close();
await s3server.close();
if (referenceLlm) await stopWorker(referenceLlm.child);
rmSync(dir, { recursive: true, force: true });
console.log(`\n${results.join('\n')}`);
process.exit(0);

async function easyPath(file: string, n: number): Promise<string> {
  const loop = await inProcessLoop(file);
  const pipeline = await throughPipeline(file, n);
  return `rows ${n}: loop ${loop.rowsPerSecond.toFixed(0)} rows/s (${loop.seconds.toFixed(1)} s), pipeline ${pipeline.rowsPerSecond.toFixed(0)} rows/s (${pipeline.seconds.toFixed(1)} s), ratio ${(pipeline.rowsPerSecond / loop.rowsPerSecond).toFixed(2)}; planned in ${pipeline.planSeconds.toFixed(2)} s, finalize tail ${pipeline.finalizeTailSeconds.toFixed(2)} s; ${usage(pipeline)}; loop process ${loop.peakRssMb}, CPU s ${loop.cpuSeconds.toFixed(1)}${pipeline.redis}`;
}

async function hardPath(file: string, n: number): Promise<string> {
  const pipeline = await throughPipeline(file, n);
  const memory = values['redis-memory'] ? `; ${await pendingJobMemory(file, n)}` : '';
  return `hard rows ${n}: pipeline ${pipeline.rowsPerSecond.toFixed(0)} rows/s (${pipeline.seconds.toFixed(1)} s); planned in ${pipeline.planSeconds.toFixed(2)} s, finalize tail ${pipeline.finalizeTailSeconds.toFixed(2)} s; ${usage(pipeline)}${memory}${pipeline.redis}`;
}

function usage(pipeline: { cpuSeconds: Record<string, number>; peakRssMb: Record<string, number> }): string {
  const list = (record: Record<string, number>, digits: number) => Object.entries(record).map(([s, v]) => `${s} ${v.toFixed(digits)}`).join(', ');
  return `CPU s ${list(pipeline.cpuSeconds, 1)}; peak RSS MB ${list(pipeline.peakRssMb, 0)}`;
}

/**
 * n rows cycling through the texts, each with a unique id. Hard rows also end with their id and n, so
 * every prompt of every timed run is new: the response cache would otherwise answer repeats without a call.
 */
async function writeRows(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const text = texts[i % texts.length]!;
    if (!out.write(`${JSON.stringify({ id: `r${i}`, input: hard ? `${text}\n(${n}-r${i})` : text })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The reference LLM in its own process (as deployed), answering with a stand-in built from the training split. */
async function startReferenceLlm(trainPath: string): Promise<{ child: ChildProcess; baseURL: string }> {
  const modelsDir = join(dir, 'reference-llm');
  await writeStandIn(modelsDir, await buildStandIn({ trainPath, task: 'spam', perClass: 100, seed: 7 }));
  const { child, url } = await startReferenceLlmProcess(modelsDir);
  return { child, baseURL: `${url}/v1` };
}

/** The baseline: read, parse and validate each line, featurize and score in batches, in this process. */
async function inProcessLoop(file: string) {
  const scorer = await Scorer.load(registry, task.model, trained.meta.version, { executionProviders: ['cpu'], batchSize: BATCH });
  const started = performance.now();
  const cpuStart = cpuSeconds(process.pid);
  let batch: string[] = [];
  let rows = 0;
  let checksum = 0;
  const flush = async () => {
    for (const p of await scorer.score(batch)) checksum += p[0]!;
    batch = [];
  };
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const row = DatasetRowSchema.parse(JSON.parse(line));
    batch.push(row.input as string);
    rows += 1;
    if (batch.length === BATCH) await flush();
  }
  await flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(process.pid) - cpuStart;
  await scorer.release();
  if (!(checksum > 0)) throw new Error('loop scored nothing');
  return { seconds, rowsPerSecond: rows / seconds, peakRssMb: peakRssMb([process.pid]), cpuSeconds: cpu };
}

function benchManifest(n: number, name: string): ManifestInput {
  const common = { task: { type: 'classification' as const, labels: task.labels, instruction: task.instruction }, input: { uri: `datasets/rows-${n}.jsonl` }, smallModel: { name: task.model }, shardSize: Number(values['shard-size']) };
  return hard
    ? // The endpoint's ceiling (OPENAI_MAX_RPM) is the only limit; the manifest asks for none of its own.
      { ...common, name, strategy: 'large-only', largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } }, delta: 0.99, budgetUsd: 1_000 }
    : // Every row is easy: a two-class maximum is never below 0.5.
      { ...common, name, largeModel: { model: 'unused', pricing: { inputPer1M: 1, outputPer1M: 1 }, rateLimitRpm: 60 }, delta: 0.5, budgetUsd: 1 };
}

async function uploadRows(file: string, n: number): Promise<void> {
  // As a stream (multipart), as a user's tooling would.
  await new Upload({ client: runtime.s3, params: { Bucket: runtime.bucket, Key: `datasets/rows-${n}.jsonl`, Body: createReadStream(file) } }).done();
}

async function throughPipeline(file: string, n: number) {
  const workers = startWorkers(SERVICES);
  const watcher = new RunWatcher(config, runtime.redisOutages, runtime.redis);
  await watcher.ready();
  await uploadRows(file, n);
  const key = `manifests/bench-${n}.json`;
  // Wait until every worker is up (connected to Redis) before the clock starts.
  await waitForWorkers(SERVICES);
  const started = performance.now();
  const cpuBefore = cpuSeconds(process.pid);
  const referenceCpuBefore = referenceLlm ? cpuSeconds(referenceLlm.child.pid!) : 0;
  const redisBefore = values['redis-ops'] ? await readRedisUsage(runtime.redis) : undefined;
  await dropManifest(key, benchManifest(n, `bench-${n}`));
  const planned = plannedAt(`bench-${n}`);
  const outcome = await watcher.wait(key, 60 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  const planSeconds = ((await planned) - started) / 1000;
  const redis = redisBefore ? `; ${formatPerRow(usageBetween(redisBefore, await readRedisUsage(runtime.redis)), n)}` : '';
  if (outcome.status !== 'finished') throw new Error(`bench run failed: ${JSON.stringify(outcome)}`);
  if (hard) await expectAllLarge(outcome.reportKey, n);
  const finalizeTailSeconds = await finalizeTail();
  const peak: Record<string, number> = {};
  const cpu: Record<string, number> = { 'bench+s3rver': cpuSeconds(process.pid) - cpuBefore };
  if (referenceLlm) cpu['reference-llm'] = cpuSeconds(referenceLlm.child.pid!) - referenceCpuBefore;
  for (const [name, child] of workers) {
    const pids = processTree(child.pid!);
    peak[name] = peakRssMb(pids);
    cpu[name] = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    await stopWorker(child);
  }
  await watcher.close();
  return { seconds, rowsPerSecond: n / seconds, peakRssMb: peak, cpuSeconds: cpu, planSeconds, finalizeTailSeconds, redis };
}

/**
 * When ingest has planned the run: its progress hash has a shard count. Polled (this is a measurement
 * script; no event says so), every 20 ms.
 */
async function plannedAt(runName: string): Promise<number> {
  for (;;) {
    const [key] = await runtime.redis.keys(`${ownKeyPrefix(config.QUEUE_PREFIX)}run-progress:{${runName}-*`);
    if (key && (await runtime.redis.hexists(key, 'shards'))) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * How long the run's finalize job went on after ingest's collect step settled the run (its last shard
 * routed): the part of the run that does not overlap scoring and routing. The bench runs one run at a
 * time, so both jobs are their queues' newest completed.
 */
async function finalizeTail(): Promise<number> {
  const [[finalize], [ingest]] = await Promise.all([runtime.queues.queue('finalize').getCompleted(0, 0), runtime.queues.queue('ingest').getCompleted(0, 0)]);
  if (!finalize?.finishedOn || !ingest?.finishedOn) throw new Error('no completed finalize and ingest jobs with their times');
  return (finalize.finishedOn - ingest.finishedOn) / 1000;
}

/** A hard-path figure counts only if every row was answered by the large model, not by a fallback. */
async function expectAllLarge(reportKey: string, n: number): Promise<void> {
  const report = await getJson<{ rows: number; bySource: Record<string, number> }>(runtime.s3, { bucket: runtime.bucket, key: reportKey });
  if (report.rows !== n || report.bySource.large !== n) throw new Error(`hard run: expected ${n} large-model answers, report says ${JSON.stringify({ rows: report.rows, bySource: report.bySource })}`);
}

/**
 * Redis memory held while a run's hard rows wait for the llm-caller: a second, untimed run of the same
 * rows with the llm-caller held back until the router has queued every llm-call job. Reports used_memory
 * growth per queued job (everything the run put in Redis) and MEMORY USAGE of llm-call job hashes.
 */
async function pendingJobMemory(file: string, n: number): Promise<string> {
  const upstream = SERVICES.filter((s) => s !== 'llm-caller');
  const workers = startWorkers(upstream);
  const watcher = new RunWatcher(config, runtime.redisOutages, runtime.redis);
  await watcher.ready();
  await uploadRows(file, n);
  await waitForWorkers(upstream);
  const key = `manifests/bench-${n}-memory.json`;
  const before = await usedMemory();
  await dropManifest(key, benchManifest(n, `bench-${n}-memory`));
  const llm = runtime.queues.queue('llm');
  // Polled, not awaited on an event: this is a measurement script, and no event says "the router is done".
  while ((await llm.getWaitingCount()) < n) await new Promise((r) => setTimeout(r, 200));
  const after = await usedMemory();
  const sample = await llm.getWaiting(0, 199);
  const hashBytes = await Promise.all(sample.map((job) => runtime.redis.call('MEMORY', 'USAGE', `${config.QUEUE_PREFIX}:llm:${job.id}`, 'SAMPLES', '0') as Promise<number>));
  const dataBytes = sample.map((job) => JSON.stringify(job.data).length);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  workers.set('llm-caller', startWorkers(['llm-caller']).get('llm-caller')!);
  const outcome = await watcher.wait(key, 60 * 60_000);
  if (outcome.status !== 'finished') throw new Error(`memory run failed: ${JSON.stringify(outcome)}`);
  await expectAllLarge(outcome.reportKey, n);
  for (const child of workers.values()) await stopWorker(child);
  await watcher.close();
  return `Redis with ${n} llm-call jobs pending: used_memory +${((after - before) / 2 ** 20).toFixed(1)} MiB (${((after - before) / n).toFixed(0)} B per job), job hash ${mean(hashBytes).toFixed(0)} B (MEMORY USAGE, mean of ${sample.length}), job data ${mean(dataBytes).toFixed(0)} B of JSON`;
}

async function usedMemory(): Promise<number> {
  const info = await runtime.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function dropManifest(key: string, manifest: ManifestInput): Promise<void> {
  await putJson(runtime.s3, { bucket: runtime.bucket, key }, manifest);
  await runtime.queues.add({ name: 'manifest-sweep', data: {} });
}

/** One process per service, and --scorers of the scorer (named scorer, scorer-2, ...). */
function startWorkers(names: string[]): Map<string, ChildProcess> {
  const childEnv = values['worker-node-options'] ? { ...env, NODE_OPTIONS: values['worker-node-options'] } : env;
  const processes = names.flatMap((name) => (name === 'scorer' ? Array.from({ length: Number(values.scorers) }, (_, i) => [i ? `scorer-${i + 1}` : name, name] as const) : [[name, name] as const]));
  return new Map(processes.map(([label, name]) => [label, spawn(process.execPath, [`services/${name}/dist/main.js`], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] })]));
}

async function stopWorker(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function waitForWorkers(names: string[]): Promise<void> {
  for (;;) {
    const counts = await Promise.all(names.map((s) => runtime.queues.queue(QUEUE_OF[s as keyof typeof QUEUE_OF]).getWorkersCount()));
    if (counts.every((c) => c > 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** User + system CPU time of a process so far (clock ticks of /proc/<pid>/stat, 100 per second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * A started service and the process it re-ran itself in with its heap flags (SERVICE_HEAP), when it
 * was started without them: the launcher first, then the worker.
 */
function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children.flatMap(processTree)];
}

/**
 * Peak RSS (VmHWM) of the process doing the work, plus the private (anonymous) memory of a launcher
 * above it: the launcher's file pages are Node's binary, which the worker maps too.
 */
function peakRssMb(pids: number[]): number {
  const field = (pid: number, name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const worker = pids.at(-1)!;
  const launchers = pids.slice(0, -1).reduce((kb, pid) => kb + field(pid, 'RssAnon'), 0);
  return Math.round((field(worker, 'VmHWM') + launchers) / 1024);
}
