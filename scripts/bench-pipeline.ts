// Pipeline overhead benchmark (issue 2): N rows, all easy, through the distributed pipeline (each
// service its own process, talking through Redis and the embedded S3 server) against an in-process
// loop doing the same parse + featurize + ONNX scoring, measured in the same run. Prints rows/s of
// both, their ratio, and each worker's peak RSS (VmHWM).
//   node_modules/.bin/tsx scripts/bench-pipeline.ts [--rows 100000] [--rows 1000000] [--shard-size 5000]
//     [--worker-node-options "--max-old-space-size=192"]   (Node flags for the service processes only)
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
import { createRuntime, loadConfig, RunWatcher } from '@datashunt/runtime';
import { ModelRegistry, Scorer, trainAndRegister } from '@datashunt/small-models';
import { putJson, startLocalS3 } from '@datashunt/storage';
import { Upload } from '@aws-sdk/lib-storage';

const { values } = parseArgs({
  options: { rows: { type: 'string', multiple: true, default: ['100000'] }, 'shard-size': { type: 'string', default: '5000' }, 'worker-node-options': { type: 'string' } },
});
const SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize'];
const BATCH = 256;

const dir = mkdtempSync(join(tmpdir(), 'ds-bench-'));
const s3server = await startLocalS3({ directory: join(dir, 's3') });
const env = {
  ...process.env,
  S3_ENDPOINT: s3server.endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_BUCKET: 'datashunt-bench',
  QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
  SWEEP_EVERY_MS: '0',
  INGEST_HTTP_PORT: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  SCORER_BATCH_SIZE: String(BATCH),
};
const config = loadConfig(env);
const runtime = await createRuntime(config, 'bench', undefined);

// The small model: the fine-foods text classifier, trained here once.
await buildDataset('fine-foods');
const paths = datasetPaths('fine-foods');
const rowsOf = (path: string) => readJsonlFileAll<{ id: string; input: string; label: string }>(path);
const train = await rowsOf(paths.train);
const texts = [...train, ...(await rowsOf(paths.test))].map((r) => r.input);
const registry = new ModelRegistry(runtime.s3, runtime.bucket);
const trained = await trainAndRegister({ registry, name: 'bench-text', family: 'text-fasttext', labels: ['great', 'other'], train, validation: await rowsOf(paths.validation), hyper: { epochs: 3 } });
console.log(`model bench-text ${trained.meta.version}: validation accuracy ${trained.evaluation.accuracy.toFixed(3)}`);

const results: string[] = [];
for (const n of values.rows!.map(Number)) {
  const file = join(dir, `rows-${n}.jsonl`);
  await writeRows(file, n);
  const loop = await inProcessLoop(file);
  const pipeline = await throughPipeline(file, n);
  const line = `rows ${n}: loop ${loop.rowsPerSecond.toFixed(0)} rows/s (${loop.seconds.toFixed(1)} s), pipeline ${pipeline.rowsPerSecond.toFixed(0)} rows/s (${pipeline.seconds.toFixed(1)} s), ratio ${(pipeline.rowsPerSecond / loop.rowsPerSecond).toFixed(2)}; CPU s loop ${loop.cpuSeconds.toFixed(1)}, pipeline ${Object.entries(pipeline.cpuSeconds).map(([s, c]) => `${s} ${c.toFixed(1)}`).join(', ')}; peak RSS MB ${Object.entries(pipeline.peakRssMb).map(([s, mb]) => `${s} ${mb}`).join(', ')}; loop process ${loop.peakRssMb}`;
  console.log(line);
  results.push(line);
}
await runtime.close();
await s3server.close();
rmSync(dir, { recursive: true, force: true });
console.log(`\n${results.join('\n')}`);
process.exit(0);

/** n rows cycling through the real reviews, each with a unique id. */
async function writeRows(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    if (!out.write(`${JSON.stringify({ id: `r${i}`, input: texts[i % texts.length] })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The baseline: read, parse and validate each line, featurize and score in batches, in this process. */
async function inProcessLoop(file: string) {
  const scorer = await Scorer.load(registry, 'bench-text', trained.meta.version, { executionProviders: ['cpu'], batchSize: BATCH });
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
  return { seconds, rowsPerSecond: rows / seconds, peakRssMb: peakRssMb(process.pid), cpuSeconds: cpu };
}

async function throughPipeline(file: string, n: number) {
  const workers = new Map<string, ChildProcess>();
  for (const name of SERVICES) {
    const childEnv = values['worker-node-options'] ? { ...env, NODE_OPTIONS: values['worker-node-options'] } : env;
    const child = spawn(process.execPath, [`services/${name}/dist/main.js`], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    workers.set(name, child);
  }
  const watcher = new RunWatcher(config);
  await watcher.ready();
  // Upload the dataset as a stream (multipart), as a user's tooling would.
  await new Upload({ client: runtime.s3, params: { Bucket: runtime.bucket, Key: `datasets/bench/rows-${n}.jsonl`, Body: createReadStream(file) } }).done();
  const manifest: ManifestInput = {
    name: `bench-${n}`,
    task: { type: 'classification', labels: ['great', 'other'], instruction: 'Is this review great (5 stars) or other?' },
    input: { uri: `datasets/bench/rows-${n}.jsonl` },
    smallModel: { name: 'bench-text' },
    largeModel: { model: 'unused', pricing: { inputPer1M: 1, outputPer1M: 1 }, rateLimitRpm: 60 },
    // Every row is easy: a two-class maximum is never below 0.5.
    delta: 0.5,
    budgetUsd: 1,
    shardSize: Number(values['shard-size']),
  };
  const key = `manifests/bench-${n}.json`;
  // Wait until every worker is up (connected to Redis) before the clock starts.
  await waitForWorkers(SERVICES.length);
  const started = performance.now();
  const cpuBefore = cpuSeconds(process.pid);
  await putJson(runtime.s3, { bucket: runtime.bucket, key }, manifest);
  await runtime.queues.add({ name: 'manifest-sweep', data: {} });
  const outcome = await watcher.wait(key, 60 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  if (outcome.status !== 'finished') throw new Error(`bench run failed: ${JSON.stringify(outcome)}`);
  const peak: Record<string, number> = {};
  const cpu: Record<string, number> = { 'bench+s3rver': cpuSeconds(process.pid) - cpuBefore };
  for (const [name, child] of workers) {
    peak[name] = peakRssMb(child.pid!);
    cpu[name] = cpuSeconds(child.pid!);
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await watcher.close();
  return { seconds, rowsPerSecond: n / seconds, peakRssMb: peak, cpuSeconds: cpu };
}

async function waitForWorkers(count: number): Promise<void> {
  for (;;) {
    const ready = (await Promise.all(SERVICES.map((s) => runtime.queues.queue(({ ingest: 'ingest', scorer: 'score', router: 'route', 'llm-caller': 'llm', finalize: 'finalize' } as const)[s as 'ingest']).getWorkersCount()))).filter((c) => c > 0).length;
    if (ready >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** User + system CPU time of a process so far (clock ticks of /proc/<pid>/stat, 100 per second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
