import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { EXPERIMENT_NAMES, prepareBench, runBench, writeBenchReport, writeDocs, type BenchPlan } from '@datashunt/bench';
import { startLocalStack } from '../local-stack.js';
import { PIPELINE_SERVICES } from '../services.js';
import { dispatch } from '../subcommands.js';

const USAGE = `usage: datashunt bench run [--only spam,fine-foods,mnist-lt] [--sweep] [--ablation] [--out-dir .data/bench]
                           [--test-rows N] [--write-docs docs/benchmarks.md]
Reproduces the paper's experiments through the real pipeline (manifests into S3, results from S3):
small only, large only and DS+ at the delta chosen on validation; --sweep adds Fig. 7's delta sweep,
--ablation Table 5. Writes report.html, results.json and the sweep charts (SVG) under --out-dir.
The large model is the embedded reference LLM unless OPENAI_BASE_URL (and OPENAI_API_KEY) point at a
provider; then BENCH_LARGE_MODEL names the model (default gpt-4o-mini).`;

/** `datashunt bench run ...`; returns the exit code. */
export function benchCommand(argv: string[]): Promise<number> {
  return dispatch('bench', USAGE, { run }, argv);
}

async function run(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: {
      only: { type: 'string', default: EXPERIMENT_NAMES.join(',') },
      sweep: { type: 'boolean', default: false },
      ablation: { type: 'boolean', default: false },
      'out-dir': { type: 'string', default: '.data/bench' },
      'test-rows': { type: 'string' },
      'write-docs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only!.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((n) => !(EXPERIMENT_NAMES as string[]).includes(n));
  if (unknown.length || only.length === 0) {
    console.error(`unknown data set(s) ${unknown.join(', ')}; known: ${EXPERIMENT_NAMES.join(', ')}\n${USAGE}`);
    return 2;
  }
  const testRows = values['test-rows'] ? Number(values['test-rows']) : undefined;
  if (testRows !== undefined && !(Number.isInteger(testRows) && testRows > 0)) {
    console.error(`--test-rows must be a positive integer\n${USAGE}`);
    return 2;
  }

  const outDir = resolve(values['out-dir']!);
  const plan: BenchPlan = {
    only: only as BenchPlan['only'],
    sweep: values.sweep!,
    ablation: values.ablation!,
    outDir,
    ...(testRows ? { testRows } : {}),
    log: (line) => console.log(line),
  };
  const command = ['datashunt bench run', ...rest].join(' ');
  const result = await runBenchWithLocalStack(plan, command);
  console.log(`\nreport: ${result.html}\nnumbers: ${result.json}${result.charts.length ? `\ncharts: ${result.charts.join(', ')}` : ''}`);
  if (values['write-docs']) {
    await writeDocs(result.results, resolve(values['write-docs']));
    console.log(`tables written into ${values['write-docs']}`);
  }
  return 0;
}

/**
 * Boots the pipeline in this process (Redis must run; embedded S3 and reference LLM unless S3_ENDPOINT /
 * OPENAI_BASE_URL are set) on its own queue prefix, runs the plan and writes the report.
 */
export async function runBenchWithLocalStack(plan: BenchPlan, command: string) {
  const external = Boolean(process.env.OPENAI_BASE_URL);
  const stackDir = join(plan.outDir, 'stack');
  await rm(join(stackDir, 's3'), { recursive: true, force: true });
  const modelsDir = join(stackDir, 'reference-llm');
  const prepared = await prepareBench(plan, external ? undefined : modelsDir);
  plan.log?.('starting the pipeline');
  const stack = await startLocalStack({
    dataDir: stackDir,
    services: PIPELINE_SERVICES,
    referenceModelsDir: modelsDir,
    logLevel: process.env.LOG_LEVEL ?? 'warn',
    env: { QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`, INGEST_HTTP_PORT: '0', SWEEP_EVERY_MS: '0' },
  });
  try {
    const largeModel = external
      ? { model: process.env.BENCH_LARGE_MODEL ?? 'gpt-4o-mini', endpoint: stack.config.OPENAI_BASE_URL, embedded: false }
      : { model: 'reference-generalist', endpoint: 'reference LLM (services/reference-llm, in-process over HTTP)', embedded: true };
    const results = await runBench(stack, prepared, plan, largeModel, command);
    const written = await writeBenchReport(results, plan.outDir);
    return { ...written, results };
  } finally {
    await stack.close();
  }
}
