// Issue 11, batch mode: the same run in sync and in batch mode (largeModel.mode), dollars and wall time.
// SpamAssassin rows (test, then validation), delta set to the median small-model confidence so about
// half the rows are hard; sync calls go at the endpoint ceiling --rpm, batches take --batch-delay-ms at
// the reference LLM and are polled every --poll-ms. The response cache is emptied between the runs,
// so both pay for every hard row. Prints a markdown table.
//   pnpm build && node_modules/.bin/tsx scripts/bench-batch-mode.ts [--rows 2000] [--rpm 3000] [--batch-delay-ms 1000] [--poll-ms 1000]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ReportSchema, ResultRecordSchema, runKeys, type ManifestInput, type Report } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { ownKeyPrefix } from '@datashunt/runtime';
import { getJson, putBytes, putJson, readAllJsonl, toJsonl } from '@datashunt/storage';
import { PIPELINE_SERVICES, startLocalStack } from '../packages/cli/dist/index.js';
import { buildStandIn, writeStandIn } from '../services/reference-llm/dist/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000' },
    rpm: { type: 'string', default: '3000' },
    'batch-delay-ms': { type: 'string', default: '1000' },
    'poll-ms': { type: 'string', default: '1000' },
  },
});
const SYNC_PRICE = { inputPer1M: 0.15, outputPer1M: 0.6 };
const BATCH_PRICE = { inputPer1M: 0.075, outputPer1M: 0.3 };
interface SpamRow {
  id: string;
  input: string;
  label: string;
}

await buildDataset('spam');
const paths = datasetPaths('spam');
const [train, validation, test] = (await Promise.all([paths.train, paths.validation, paths.test].map((p) => readJsonlFileAll<SpamRow>(p)))) as SpamRow[][];
const rows = [...test!, ...validation!].slice(0, Number(values.rows));
const dir = mkdtempSync(join(tmpdir(), 'ds-batch-bench-'));
const modelsDir = join(dir, 'reference-llm');
await writeStandIn(modelsDir, await buildStandIn({ trainPath: paths.train, task: 'spam', perClass: 40, seed: 7 }));
const stack = await startLocalStack({
  dataDir: dir,
  services: PIPELINE_SERVICES,
  referenceModelsDir: modelsDir,
  logLevel: 'warn',
  env: { QUEUE_PREFIX: `batchbench${randomBytes(3).toString('hex')}`, INGEST_HTTP_PORT: '0', SWEEP_EVERY_MS: '200', OPENAI_MAX_RPM: values.rpm!, LLM_BATCH_POLL_MS: values['poll-ms']! },
});
const admin = stack.llmUrl.replace(/\/v1$/, '/admin');
const { s3, bucket, redis } = stack.runtime;

try {
  await fetch(`${admin}/batch/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ completionDelayMs: Number(values['batch-delay-ms']) }) });
  const registry = new ModelRegistry(s3, bucket);
  await trainAndRegister({ registry, name: 'spam-text', family: 'text-fasttext', labels: ['ham', 'spam'], train: train!, validation: validation!, hyper: { epochs: 4, seed: 3 } });
  const key = 'datasets/batch-bench.jsonl';
  await putBytes(s3, { bucket, key }, toJsonl(rows));

  const run = async (name: string, over: Partial<ManifestInput>): Promise<Report> => {
    const manifestKey = `${stack.config.MANIFEST_PREFIX}${name}.json`;
    await putJson(s3, { bucket, key: manifestKey }, {
      name,
      task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?' },
      input: { uri: key },
      smallModel: { name: 'spam-text', useLearnable: false },
      largeModel: { model: 'reference-generalist', pricing: { ...SYNC_PRICE, batch: BATCH_PRICE } },
      delta: 1,
      budgetUsd: 100,
      shardSize: 1_000,
      ...over,
    } satisfies ManifestInput);
    const outcome = await stack.watcher.wait(manifestKey, 30 * 60_000);
    if (outcome.status !== 'finished') throw new Error(`${name}: ${outcome.message}`);
    return ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
  };
  const emptyCache = async () => {
    const keys = await redis.keys(`${ownKeyPrefix(stack.config.QUEUE_PREFIX)}llm-cache:*`);
    if (keys.length) await redis.del(...keys);
  };

  // The median confidence as delta: about half the rows are hard.
  const small = await run('confidences', { strategy: 'small-only' });
  const confidences = (await readAllJsonl(s3, { bucket, key: runKeys('runs/', small.runId).results })).map((r) => ResultRecordSchema.parse(r).c_s1).sort((a, b) => a - b);
  const delta = confidences[Math.floor(confidences.length / 2)]!;

  const lines = ['| mode | rows | hard (large) | fallbacks | cost $ | as sync calls $ | saved $ | wall s |', '|---|---|---|---|---|---|---|---|'];
  for (const mode of ['sync', 'batch'] as const) {
    await emptyCache();
    const report = await run(`bench-${mode}`, { delta, largeModel: { model: 'reference-generalist', mode, pricing: { ...SYNC_PRICE, batch: BATCH_PRICE } } });
    const asSync = report.batch?.syncCostUsd ?? report.costUsd;
    lines.push(`| ${mode} | ${report.results} | ${report.bySource.large} | ${report.bySource.fallback} | ${report.costUsd.toFixed(6)} | ${asSync.toFixed(6)} | ${(report.batch?.savedUsd ?? 0).toFixed(6)} | ${report.wallSeconds.toFixed(1)} |`);
  }
  console.log(`delta ${delta.toFixed(4)} (median c_s1); endpoint ceiling ${values.rpm} rpm; batch completion delay ${values['batch-delay-ms']} ms, poll every ${values['poll-ms']} ms\n`);
  console.log(lines.join('\n'));
} finally {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
}
