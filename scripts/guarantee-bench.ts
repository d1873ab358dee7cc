// Issue 7 (b) on the benchmark data sets: does `"delta": {"target": "guarantee"}` keep its promise, and
// how many large-model calls does it avoid against uniform + Hoeffding and Learn-then-Test?
// Through the pipeline: per data set, small-only and large-only runs over test (the run's rows) and
// validation (Learn-then-Test's rows) give every row's confidence, small label and large answer, and
// one guarantee run per T shows the run mode on the same rows. Then 100 seeded walks of each method
// over those real rows, offline (the sampling is all that varies between seeds).
// `pnpm build && node_modules/.bin/tsx scripts/guarantee-bench.ts [--only spam,mnist-lt,fine-foods] [--seeds 100]`
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchStack } from './bench-stack.js';
import { EXPERIMENT_NAMES, PRICE_TABLE, type BenchPlan, type BenchRow } from '../packages/bench/dist/index.js';
import {
  agreementCeiling,
  bargainThreshold,
  evaluateChoice,
  learnThenTestThreshold,
  mulberry32,
  uniformHoeffdingThreshold,
  type GuaranteeTarget,
  type LabelledScoredRow,
} from '../packages/algorithms/dist/index.js';
import { ReportSchema, ResultRecordSchema, runKeys, type ManifestInput, type Report, type ResultRecord } from '@datashunt/contracts';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { getJson, putBytes, putJson, readAllJsonl, toJsonl } from '@datashunt/storage';

const ALPHA = 0.1;
type Outcome = ReturnType<typeof evaluateChoice>;
const TARGETS = [0.9, 0.95];
const { values } = parseArgs({ options: { only: { type: 'string', default: EXPERIMENT_NAMES.join(',') }, seeds: { type: 'string', default: '100' }, 'out-dir': { type: 'string', default: '.data/guarantee-bench' } } });
const seeds = Number(values.seeds);
const outDir = resolve(values['out-dir']!);
const plan: BenchPlan = { only: values.only!.split(',') as BenchPlan['only'], sweep: false, ablation: false, outDir, log: (l) => console.error(l) };
const { stack, prepared } = await startBenchStack(plan, { queuePrefix: 'gbench', env: { OPENAI_MAX_RPM: '60000' } });
const { s3, bucket } = stack.runtime;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pipelineLines = ['| data set | T | threshold | rows sampled | query share | agreement with large-only | new calls |', '|---|---|---|---|---|---|---|'];
const simLines = [
  '| data set | T | rows | small-only agreement | ceiling avoided | BARGAIN held | BARGAIN avoided (bought) | uniform+Hoeffding held | uniform avoided | LTT held | LTT avoided on the batch | LTT avoided net of its validation calls |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
];
const completions = async () => ((await (await fetch(`${stack.llmUrl.replace(/\/v1$/, '/admin')}/stats`)).json()) as { completions: number }).completions;

try {
  for (const { exp, data } of prepared) {
    const nonce = randomBytes(3).toString('hex');
    const name = `gb-${exp.name}-${nonce}`;
    const trained = await trainAndRegister({ registry: new ModelRegistry(s3, bucket), name, task: exp.name, family: exp.family, labels: data.labels, train: data.specialistTrain, validation: data.validation, hyper: exp.specialistHyper });
    const upload = async (split: string, rows: readonly BenchRow[]) => {
      const key = `datasets/gbench/${nonce}/${exp.name}-${split}.jsonl`;
      await putBytes(s3, { bucket, key }, toJsonl(rows.map((r) => ({ id: r.id, input: r.input }))));
      return key;
    };
    const keys = { test: await upload('test', data.test), validation: await upload('validation', data.validation) };
    const run = async (tag: string, split: keyof typeof keys, over: Partial<ManifestInput>): Promise<{ report: Report; results: ResultRecord[] }> => {
      const key = `${stack.config.MANIFEST_PREFIX}${name}-${tag}.json`;
      await putJson(s3, { bucket, key }, {
        name: `${name}-${tag}`,
        task: { type: 'classification', labels: data.labels, instruction: exp.instruction, inputKind: exp.inputKind },
        input: { uri: keys[split] },
        smallModel: { name, version: trained.meta.version, useLearnable: false },
        largeModel: { model: 'reference-generalist', pricing: { inputPer1M: PRICE_TABLE.inputPer1M, outputPer1M: PRICE_TABLE.outputPer1M } },
        delta: 1,
        budgetUsd: 100,
        shardSize: 1_000,
        ...over,
      } satisfies ManifestInput);
      const outcome = await stack.watcher.wait(key, 60 * 60_000);
      if (outcome.status !== 'finished') throw new Error(`${exp.name} ${tag}: ${outcome.message}`);
      const report = ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
      const results = (await readAllJsonl(s3, { bucket, key: runKeys('runs/', report.runId).results })).map((r) => ResultRecordSchema.parse(r));
      return { report, results };
    };
    // Every row's small answer and large answer (the same prompt as a DS+ run's, so DS+ runs hit the cache).
    const rowsOf = async (split: keyof typeof keys) => {
      const small = await run(`${split}-small`, split, { strategy: 'small-only' });
      const large = await run(`${split}-large`, split, { strategy: 'large-only' });
      const largeByLine = new Map(large.results.map((r) => [r.line, r.label]));
      const rows: LabelledScoredRow[] = small.results.map((r) => ({ confidence: r.c_s1, smallLabel: r.label, largeLabel: largeByLine.get(r.line)! }));
      return { rows, largeByLine };
    };
    const { rows: batch, largeByLine: largeOnly } = await rowsOf('test');
    const { rows: validation } = await rowsOf('validation');

    for (const T of TARGETS) {
      const before = await completions();
      const { report, results } = await run(`guarantee-${Math.round(T * 100)}`, 'test', { delta: { target: 'guarantee', T, alpha: ALPHA } });
      const source = report.deltaSource.kind === 'guarantee' ? report.deltaSource : undefined;
      const agree = results.filter((r) => r.label === largeOnly.get(r.line)).length / results.length;
      pipelineLines.push(`| ${exp.name} | ${T} | ${source?.threshold?.toFixed(4) ?? 'none'} | ${source?.rowsSampled ?? '-'} | ${pct(report.queryProportion)} | ${pct(agree)} | ${(await completions()) - before} |`);

      const target: GuaranteeTarget = { kind: 'agreement', T };
      const tally = { bargain: [] as Outcome[], uniform: [] as Outcome[] };
      for (let seed = 1; seed <= seeds; seed++) {
        const rng = mulberry32(seed * 7919 + Math.round(T * 100));
        const ask = async (ix: number[]) => ix.map((i) => batch[i]!.largeLabel);
        const bargain = await bargainThreshold(batch, target, ask, { alpha: ALPHA, rng });
        tally.bargain.push(evaluateChoice(batch, target, bargain));
        tally.uniform.push(evaluateChoice(batch, target, await uniformHoeffdingThreshold(batch, target, ask, { alpha: ALPHA, rng, sampleSize: Math.max(200, bargain.largeAnswers.size) })));
      }
      // LTT is deterministic given its validation rows: one choice, applied to the batch.
      const ltt = evaluateChoice(batch, target, learnThenTestThreshold(validation, target, { alpha: ALPHA }));
      const held = (os: Outcome[]) => pct(os.filter((o) => o.held).length / os.length);
      const avoided = (os: Outcome[]) => os.reduce((s, o) => s + o.avoided, 0) / os.length;
      const bought = Math.round(tally.bargain.reduce((s, o) => s + o.bought, 0) / seeds);
      const smallAgreement = batch.filter((r) => r.smallLabel === r.largeLabel).length / batch.length;
      simLines.push(
        `| ${exp.name} | ${T} | ${batch.length} | ${pct(smallAgreement)} | ${pct(agreementCeiling(batch, T))} | ${held(tally.bargain)} | ${pct(avoided(tally.bargain))} (${bought}) | ${held(tally.uniform)} | ${pct(avoided(tally.uniform))} | ` +
          `${ltt.held ? 'yes' : 'no'} | ${pct(ltt.avoided)} | ${pct(ltt.avoided - validation.length / batch.length)} |`,
      );
    }
  }
} finally {
  await stack.close();
}
console.log(`\n### One guarantee run per T through the pipeline (alpha ${ALPHA})\n\n${pipelineLines.join('\n')}`);
console.log(`\n### ${seeds} seeded walks per T over the same rows (alpha ${ALPHA})\n\n${simLines.join('\n')}`);

