// Issue 7 (c), cold start through the pipeline: on each data set and sample size, `bootstrap` over an
// unlabelled pool (the large model labels a seeded sample, a model is trained on its answers, calibrated,
// and DS+ runs over the rest). Measured: the test accuracy of that model against one trained on the same
// rows' gold labels, and the DS+ run's accuracy (joined to gold by id) and query share.
// `pnpm build && node_modules/.bin/tsx scripts/bootstrap-bench.ts [--only spam,mnist-lt] [--samples 200,800] [--rest 2000]`
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchStack } from './bench-stack.js';
import { PRICE_TABLE, RATE_LIMIT_RPM, type BenchPlan, type BenchRow } from '../packages/bench/dist/index.js';
import { bootstrap, drawSeeded } from '../packages/cli/dist/index.js';
import { ResultRecordSchema, runKeys, type ManifestInput } from '@datashunt/contracts';
import { evaluateProbabilities, ModelRegistry, Scorer, trainAndRegister, type LabelledRow } from '@datashunt/small-models';
import { readAllJsonl } from '@datashunt/storage';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'spam,mnist-lt' },
    samples: { type: 'string', default: '200,800' },
    rest: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    'out-dir': { type: 'string', default: '.data/bootstrap-bench' },
  },
});
const outDir = resolve(values['out-dir']!);
const samples = values.samples!.split(',').map(Number);
const restRows = Number(values.rest);
const seed = Number(values.seed);
const plan: BenchPlan = { only: values.only!.split(',') as BenchPlan['only'], sweep: false, ablation: false, outDir, log: (l) => console.error(l) };
const { stack, prepared } = await startBenchStack(plan, { queuePrefix: 'bootbench' });
const { s3, bucket } = stack.runtime;
const registry = new ModelRegistry(s3, bucket);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

async function testAccuracy(name: string, version: string, test: readonly BenchRow[], labels: readonly string[]): Promise<number> {
  const scorer = await Scorer.load(registry, name, version, { executionProviders: ['cpu'] });
  try {
    return evaluateProbabilities(await scorer.score(test.map((r) => r.input)), test.map((r) => labels.indexOf(r.label)), labels).accuracy;
  } finally {
    await scorer.release();
  }
}

const lines = [
  '| data set | seed | sample | trained on (resolved LLM labels) | LLM labels agree with gold | test acc., LLM labels | test acc., gold labels | gap | labelling calls paid / cached, $ | delta | DS+ acc. on the rest | DS+ query share | small alone on the rest |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
try {
  for (const { exp, data } of prepared) {
    // The user's unlabelled data: the specialist's rows, topped up with the 2CD pool when too few (never test rows).
    const byId = new Map([...data.specialistTrain, ...data.distillPool].map((r) => [r.id, r]));
    const pool = [...byId.values()];
    for (const n of samples) {
      const input = drawSeeded(pool, n + restRows, seed).picked;
      if (input.length < n + restRows) console.error(`[${exp.name}] pool has ${pool.length} rows: rest is ${input.length - n} rows`);
      const gold = new Map(input.map((r) => [r.id, r.label]));
      const inputPath = join(outDir, `${exp.name}-${n}-unlabelled.jsonl`);
      await writeFile(inputPath, input.map((r) => JSON.stringify({ id: r.id, input: r.input })).join('\n') + '\n');
      const name = `boot-${exp.name}-${n}-${randomBytes(2).toString('hex')}`;
      const manifest: Omit<ManifestInput, 'input' | 'smallModel' | 'delta'> = {
        task: { type: 'classification', labels: data.labels, instruction: exp.instruction, inputKind: exp.inputKind },
        largeModel: { model: 'reference-generalist', pricing: { inputPer1M: PRICE_TABLE.inputPer1M, outputPer1M: PRICE_TABLE.outputPer1M }, rateLimitRpm: RATE_LIMIT_RPM },
        promptMode: 'soft+hard',
        budgetUsd: 100,
        shardSize: 1_000,
      };
      const deps = { config: stack.config, runtime: stack.runtime, watcher: stack.watcher, log: (l: string) => console.error(`[${exp.name} ${n}] ${l}`) };
      const outcome = await bootstrap(deps, manifest, {
        input: inputPath, sample: n, maxUsd: 50, seed, family: exp.family, modelName: name, target: { target: 'max-accuracy' }, run: true, hyper: exp.specialistHyper,
      });

      // The same training rows with their gold labels, same family and hyper-parameters.
      const labelled = (await readAllJsonl(s3, { bucket, key: runKeys('runs/', outcome.labelling.runId).results })).map((r) => ResultRecordSchema.parse(r));
      const llmLabels = new Map(labelled.map((r) => [String(r.id), r]));
      const trainIds = outcome.model.trainIds;
      const goldTrain: LabelledRow[] = trainIds.map((id) => ({ id, input: byId.get(id)!.input, label: gold.get(id)! }));
      const agree = trainIds.filter((id) => llmLabels.get(id)!.label === gold.get(id)).length / trainIds.length;
      const goldModel = await trainAndRegister({ registry, name: `${name}-gold`, task: exp.instruction, family: exp.family, labels: data.labels, train: goldTrain, hyper: exp.specialistHyper, promote: false });
      const [llmAcc, goldAcc] = await Promise.all([
        testAccuracy(name, outcome.model.version, data.test, data.labels),
        testAccuracy(`${name}-gold`, goldModel.meta.version, data.test, data.labels),
      ]);

      const run = outcome.run!;
      const results = (await readAllJsonl(s3, { bucket, key: runKeys('runs/', run.runId).results })).map((r) => ResultRecordSchema.parse(r));
      const dsAcc = results.filter((r) => r.label === gold.get(String(r.id))).length / results.length;
      const restIds = new Set(results.map((r) => String(r.id)));
      const restSmall = await testAccuracy(name, outcome.model.version, input.filter((r) => restIds.has(r.id)), data.labels);
      const delta = run.delta;
      console.error(`[${exp.name} ${n}] LLM-label model ${pct(llmAcc)} vs gold-label model ${pct(goldAcc)} on test; DS+ ${pct(dsAcc)} at query share ${pct(run.queryProportion)} (delta ${delta})`);
      lines.push(
        `| ${exp.name} | ${seed} | ${n} | ${trainIds.length} | ${pct(agree)} | ${pct(llmAcc)} | ${pct(goldAcc)} | ${((llmAcc - goldAcc) * 100).toFixed(2)} pt | ${outcome.labelling.paidCalls} / ${outcome.labelling.cachedCalls}, $${outcome.labelling.costUsd.toFixed(4)} | ${delta} | ${pct(dsAcc)} (${results.length} rows) | ${pct(run.queryProportion)} | ${pct(restSmall)} |`,
      );
    }
  }
} finally {
  await stack.close();
}
console.log(lines.join('\n'));

