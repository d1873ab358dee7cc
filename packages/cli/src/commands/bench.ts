import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { EXPERIMENT_NAMES, prepareBench, runBench, writeBenchReport, writeDocs, type BenchPlan } from '@datashunt/bench';
import { startLocalStack } from '../local-stack.js';
import { PIPELINE_SERVICES } from '../services.js';
import { action } from '../command-errors.js';
import { list, positiveInteger } from '../option-values.js';

/** `datashunt bench run ...`. */
export function addBenchCommands(program: Command): void {
  const bench = program.command('bench').description("reproduce the paper's experiments through the pipeline (report.html, tables)");
  bench
    .command('run')
    .description(
      "reproduce the paper's experiments through the real pipeline (manifests into S3, results from S3): small only, large only and DS+ at the delta " +
        "chosen on validation; --sweep adds Fig. 7's delta sweep, --ablation Table 5. Writes report.html, results.json and the sweep charts (SVG). " +
        'The large model is the embedded reference LLM unless OPENAI_BASE_URL (and OPENAI_API_KEY) point at a provider; then BENCH_LARGE_MODEL names the model (default gpt-4o-mini).',
    )
    .option('--only <names>', `data sets, of ${EXPERIMENT_NAMES.join(', ')}`, experimentNames, [...EXPERIMENT_NAMES])
    .option('--sweep', "add Fig. 7's delta sweep", false)
    .option('--ablation', 'add Table 5', false)
    .option('--out-dir <dir>', 'where report.html, results.json and the charts go', '.data/bench')
    .option('--test-rows <n>', 'test rows per data set (default: all)', positiveInteger)
    .option('--write-docs <file>', 'write the tables into this markdown file (e.g. docs/benchmarks.md)')
    .action(action((o: BenchOptions) => run(o)));
}

interface BenchOptions {
  only: BenchPlan['only'];
  sweep: boolean;
  ablation: boolean;
  outDir: string;
  testRows?: number;
  writeDocs?: string;
}

function experimentNames(value: string): BenchPlan['only'] {
  const names = list(value);
  const unknown = names.filter((n) => !(EXPERIMENT_NAMES as string[]).includes(n));
  if (unknown.length) throw new InvalidArgumentError(`unknown data set(s) ${unknown.join(', ')}; known: ${EXPERIMENT_NAMES.join(', ')}.`);
  return names as BenchPlan['only'];
}

async function run(o: BenchOptions): Promise<number> {
  const outDir = resolve(o.outDir);
  const plan: BenchPlan = {
    only: o.only,
    sweep: o.sweep,
    ablation: o.ablation,
    outDir,
    ...(o.testRows ? { testRows: o.testRows } : {}),
    log: (line) => console.log(line),
  };
  // The command that reproduces these numbers, as the report states it.
  const command = ['datashunt bench run', `--only ${o.only.join(',')}`, o.sweep ? '--sweep' : '', o.ablation ? '--ablation' : '', o.testRows ? `--test-rows ${o.testRows}` : ''].filter(Boolean).join(' ');
  const result = await runBenchWithLocalStack(plan, command);
  console.log(`\nreport: ${result.html}\nnumbers: ${result.json}${result.charts.length ? `\ncharts: ${result.charts.join(', ')}` : ''}`);
  if (o.writeDocs) {
    await writeDocs(result.results, resolve(o.writeDocs));
    console.log(`tables written into ${o.writeDocs}`);
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
