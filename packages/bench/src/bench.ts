import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadExperimentData, prepareStandIn, type ExperimentData, type StandInInfo } from './data.js';
import { EXPERIMENTS, type Experiment } from './experiments.js';
import { renderHtmlReport, renderMarkdownTables, sweepAccuracyChart, sweepQueryChart, updateDocsSection, type BenchResults } from './report.js';
import { runExperiment, trainerDistiller, type BenchStack, type ExperimentResult, type LargeModelChoice } from './runner.js';

export interface BenchPlan {
  only: Array<keyof typeof EXPERIMENTS>;
  sweep: boolean;
  ablation: boolean;
  /** Where stand-ins are cached and the report is written (default .data/bench). */
  outDir: string;
  /** Cut the test / validation splits (the integration test runs a slice). */
  testRows?: number;
  validationRows?: number;
  sweepGrid?: number[];
  rateLimitRpm?: number;
  /** Changes to the experiment definitions (the integration test uses a smaller stand-in). */
  overrides?: Partial<Record<keyof typeof EXPERIMENTS, Partial<Experiment>>>;
  log?: (line: string) => void;
}

export interface PreparedExperiment {
  exp: Experiment;
  data: ExperimentData;
  standIn?: StandInInfo;
}

/** Data and stand-ins, before any service starts (the reference LLM reads its models directory at start). */
export async function prepareBench(plan: BenchPlan, referenceModelsDir: string | undefined): Promise<PreparedExperiment[]> {
  const prepared: PreparedExperiment[] = [];
  for (const name of plan.only) {
    const exp: Experiment = { ...EXPERIMENTS[name], ...plan.overrides?.[name] };
    plan.log?.(`[${name}] data set and stand-in`);
    const data = await loadExperimentData(exp, plan.outDir, { testRows: plan.testRows, validationRows: plan.validationRows });
    const standIn = referenceModelsDir ? await prepareStandIn(exp, data, join(plan.outDir, 'stand-ins'), referenceModelsDir) : undefined;
    prepared.push({ exp, data, ...(standIn ? { standIn } : {}) });
  }
  return prepared;
}

export async function runBench(stack: BenchStack, prepared: PreparedExperiment[], plan: BenchPlan, largeModel: LargeModelChoice, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const distiller = plan.ablation ? await trainerDistiller() : undefined;
  const experiments: ExperimentResult[] = [];
  try {
    for (const p of prepared) {
      experiments.push(
        await runExperiment(stack, p.exp, p.data, p.standIn, {
          largeModel,
          sweep: plan.sweep,
          ablation: plan.ablation,
          ...(plan.sweepGrid ? { sweepGrid: plan.sweepGrid } : {}),
          ...(plan.rateLimitRpm ? { rateLimitRpm: plan.rateLimitRpm } : {}),
          ...(plan.log ? { log: plan.log } : {}),
        }, distiller),
      );
    }
  } finally {
    await distiller?.close();
  }
  return { startedAt, finishedAt: new Date().toISOString(), command, machine: machineLine(), largeModel, experiments };
}

export interface WrittenReport {
  html: string;
  json: string;
  charts: string[];
}

/** report.html (self-contained, charts inline), results.json (every number) and one SVG per chart. */
export async function writeBenchReport(results: BenchResults, outDir: string): Promise<WrittenReport> {
  await mkdir(outDir, { recursive: true });
  const html = join(outDir, 'report.html');
  const json = join(outDir, 'results.json');
  await writeFile(html, renderHtmlReport(results));
  await writeFile(json, JSON.stringify(results, null, 2));
  const charts: string[] = [];
  for (const exp of results.experiments) {
    if (!exp.sweep.length) continue;
    for (const [suffix, svg] of [['accuracy', sweepAccuracyChart(exp)], ['query', sweepQueryChart(exp)]] as const) {
      const file = join(outDir, `${exp.name}-sweep-${suffix}.svg`);
      await writeFile(file, svg);
      charts.push(file);
    }
  }
  return { html, json, charts };
}

/** Rewrites the generated tables of docs/benchmarks.md's "## Paper reproduction" section. */
export async function writeDocs(results: BenchResults, docsPath: string): Promise<void> {
  const current = await readFile(docsPath, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(docsPath, updateDocsSection(current, renderMarkdownTables(results)));
}

function machineLine(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
}
