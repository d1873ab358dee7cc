import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { manifestIngestJobId, runIdOf, type ManifestInput } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { buildStandIn, writeStandIn } from '@datashunt/reference-llm';
import type { Config } from '@datashunt/runtime';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { headObject, putBytes, putJson } from '@datashunt/storage';
import { action } from '../command-errors.js';
import { startLocalStack } from '../local-stack.js';
import { followRun } from '../run-follow.js';
import { smallAloneSummary } from '../small-alone.js';
import { PIPELINE_SERVICES } from '../services.js';

const DATASETS = ['spam', 'fine-foods'] as const;

const TASKS: Record<(typeof DATASETS)[number], { instruction: string; modelName: string }> = {
  spam: { instruction: 'Is this e-mail spam or ham (a legitimate mail)?', modelName: 'spam-text' },
  'fine-foods': { instruction: 'Is this Amazon fine-food review rated great (5 stars) or other?', modelName: 'fine-foods-text' },
};

type LabelledInput = { input: string | number[]; label: string };

/** Accuracy the small model must reach on the rows it keeps: sets the demo's calibrated delta. */
const DEMO_TARGET_ACCURACY = 0.99;

export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .summary('run DS+ end to end on the embedded default and print the report')
    .description(
      'run DS+ end to end on the embedded default (local Redis, the embedded S3 server, the reference LLM, a real labelled dataset): ' +
        'trains the small model on first use, drops a manifest, prints the report',
    )
    .addOption(new Option('--dataset <name>', 'the labelled dataset').choices(DATASETS).default('spam'))
    .option('--keep-running', 'keep the services (and Bull Board) up after the report, until Ctrl-C')
    .option('--data-dir <dir>', 'where the embedded S3 server and the reference LLM keep their files', '.data/demo')
    .action(action((o: DemoOptions) => demo(o)));
}

interface DemoOptions {
  dataset: (typeof DATASETS)[number];
  keepRunning?: boolean;
  dataDir: string;
}

async function demo(o: DemoOptions): Promise<number> {
  const dataset = o.dataset;
  const task = TASKS[dataset];
  const dataDir = resolve(o.dataDir);

  const meta = await buildDataset(dataset);
  const paths = datasetPaths(dataset);
  console.log(`dataset ${dataset}: ${meta.splits.train.total} train, ${meta.splits.validation.total} validation, ${meta.splits.test.total} test rows (${meta.source.package})`);
  const standIn = await buildStandIn({ trainPath: paths.train, task: dataset, perClass: 60, seed: 1 });
  await writeStandIn(join(dataDir, 'reference-llm'), standIn);

  const stack = await startLocalStack({
    dataDir,
    services: [...PIPELINE_SERVICES, 'dashboard'],
    env: { SWEEP_EVERY_MS: process.env.SWEEP_EVERY_MS ?? '1000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  try {
    const { s3, bucket } = stack.runtime;
    const registry = new ModelRegistry(s3, bucket);
    let version = await registry.current(task.modelName, 'specific');
    if (!version) {
      console.log(`training the small model ${task.modelName} (fastText-style, ${meta.splits.train.total} rows)...`);
      const trained = await trainAndRegister({
        registry,
        name: task.modelName,
        family: 'text-fasttext',
        labels: meta.labels,
        train: await readJsonlFileAll<LabelledInput>(paths.train),
        validation: await readJsonlFileAll<LabelledInput>(paths.validation),
        targetAccuracy: DEMO_TARGET_ACCURACY,
      });
      version = trained.meta.version;
      console.log(`  validation accuracy ${(trained.evaluation.accuracy * 100).toFixed(2)}%, ECE ${trained.evaluation.ece.toFixed(4)}`);
      console.log(`  ${smallAloneSummary(trained.meta)}`);
    }
    const model = (await registry.get(task.modelName, version)).meta;

    const inputKey = `datasets/${dataset}/test.jsonl`;
    await putBytes(s3, { bucket, key: inputKey }, await readFile(paths.test));
    const name = `demo-${dataset}-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`;
    const manifestKey = `${stack.config.MANIFEST_PREFIX}${name}.json`;
    const manifest: ManifestInput = {
      name,
      task: { type: 'classification', labels: meta.labels, instruction: task.instruction },
      input: { uri: inputKey },
      smallModel: { name: task.modelName },
      largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 6_000 },
      delta: model.calibratedDelta ?? 0.97,
      promptMode: 'soft',
      budgetUsd: 1,
      shardSize: 500,
    };
    await putJson(s3, { bucket, key: manifestKey }, manifest);
    console.log(`dropped s3://${bucket}/${manifestKey}; the sweep picks it up. Bull Board: ${dashboardUrl(stack)} (${dashboardLogin(stack.config)})`);

    const head = await headObject(s3, { bucket, key: manifestKey });
    const runId = runIdOf(name, { bucket, key: manifestKey, etag: head!.etag });
    const ingestJobId = manifestIngestJobId({ bucket, key: manifestKey, etag: head!.etag });
    const code = await followRun(stack.runtime, { runId, outputPrefix: 'runs/', ingestJobId }, { progress: true, timeoutMinutes: 30 });
    console.log(`(run files under ${join(dataDir, 's3', bucket)})`);
    if (o.keepRunning) {
      console.log('services keep running (Ctrl-C stops them)');
      await new Promise<void>((done) => process.once('SIGINT', done));
    }
    return code;
  } finally {
    await stack.close();
  }
}

function dashboardUrl(stack: Awaited<ReturnType<typeof startLocalStack>>): string {
  const dashboard = stack.services.modules.find((m) => m.name === 'dashboard') as unknown as { url(): string | undefined } | undefined;
  return dashboard?.url() ?? 'not running';
}

/** The read-only login the local stack generated (or was given), shown once so a person can log in. */
function dashboardLogin(config: Config): string {
  return config.DASHBOARD_PASSWORD ? `user ${config.DASHBOARD_USER}, password ${config.DASHBOARD_PASSWORD}` : `user ${config.DASHBOARD_USER}, password from DASHBOARD_PASSWORD_FILE`;
}
