// Issue 7 (d) through the pipeline: redistillation rounds. Trains the benchmark specialist, measures DS+
// on test before 2CD, then for each round runs DS+ over a NEW slice of the distillation pool (rows of the
// same distribution, disjoint between rounds), distills from that run alone (the trainer's promotion gate
// decides), and measures DS+ on the same test set with whatever learnable model is current.
// Traffic rows carry no labels unless --labelled (then the distill job has includeLabelled and the gate
// compares gold accuracy instead of agreement with the large model). Test runs are marked evaluation.
// `pnpm build && node_modules/.bin/tsx scripts/redistill-rounds.ts --only mnist-lt [--rounds 3] [--round-rows 400] [--test-rows 1000] [--delta 0.9] [--labelled]`
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchStack } from './bench-stack.js';
import { PRICE_TABLE, RATE_LIMIT_RPM, type BenchPlan, type BenchRow } from '../packages/bench/dist/index.js';
import { PIPELINE_SERVICES } from '../packages/cli/dist/index.js';
import { ReportSchema, type ManifestInput, type Report } from '@datashunt/contracts';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { getJson, putBytes, putJson, toJsonl } from '@datashunt/storage';
import { enqueueDistillation, waitForDistillation, type DistillSummary } from '../services/trainer/dist/index.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'mnist-lt' },
    'out-dir': { type: 'string', default: '.data/redistill-rounds' },
    rounds: { type: 'string', default: '3' },
    'round-rows': { type: 'string', default: '400' },
    'test-rows': { type: 'string', default: '1000' },
    delta: { type: 'string', default: '0.9' },
    labelled: { type: 'boolean', default: false },
  },
});
const rounds = Number.parseInt(values.rounds!, 10);
const roundRows = Number.parseInt(values['round-rows']!, 10);
const delta = Number(values.delta);
const labelled = values.labelled!;
const outDir = resolve(values['out-dir']!);
const plan: BenchPlan = { only: values.only!.split(',') as BenchPlan['only'], sweep: false, ablation: false, outDir, testRows: Number.parseInt(values['test-rows']!, 10), log: (l) => console.error(l) };
const { stack, prepared } = await startBenchStack(plan, { queuePrefix: 'rounds', services: [...PIPELINE_SERVICES, 'trainer'] });
const { s3, bucket } = stack.runtime;
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const lines: string[] = [
  `| data set | stage | traffic rows (new) | gate decision | DS+ accuracy (test) | DS+ query share (test) |`,
  '|---|---|---|---|---|---|',
];
try {
  for (const { exp, data } of prepared) {
    const needed = rounds * roundRows;
    if (data.distillPool.length < needed) throw new Error(`${exp.name}: the distillation pool holds ${data.distillPool.length} rows, ${needed} needed`);
    const nonce = randomBytes(3).toString('hex');
    const name = `rounds-${exp.name}-${nonce}`;
    const trained = await trainAndRegister({ registry: new ModelRegistry(s3, bucket), name, task: exp.name, family: exp.family, labels: data.labels, train: data.specialistTrain, validation: data.validation, hyper: exp.specialistHyper });
    const upload = async (tag: string, rows: readonly BenchRow[], withLabels: boolean) => {
      const key = `datasets/rounds/${nonce}/${exp.name}-${tag}.jsonl`;
      await putBytes(s3, { bucket, key }, toJsonl(rows.map((r) => (withLabels ? { id: r.id, input: r.input, label: r.label } : { id: r.id, input: r.input }))));
      return key;
    };
    const testKey = await upload('test', data.test, true);
    const run = async (tag: string, inputKey: string, purpose: 'production' | 'evaluation'): Promise<Report> => {
      const manifest: ManifestInput = {
        name: `${name}-${tag}`,
        purpose,
        task: { type: 'classification', labels: data.labels, instruction: exp.instruction, inputKind: exp.inputKind },
        input: { uri: inputKey },
        smallModel: { name, version: trained.meta.version, useLearnable: true },
        largeModel: { model: 'reference-generalist', pricing: { inputPer1M: PRICE_TABLE.inputPer1M, outputPer1M: PRICE_TABLE.outputPer1M }, rateLimitRpm: RATE_LIMIT_RPM },
        delta,
        promptMode: 'soft+hard',
        budgetUsd: 100,
        shardSize: 1_000,
      };
      const key = `${stack.config.MANIFEST_PREFIX}${name}-${tag}.json`;
      await putJson(s3, { bucket, key }, manifest);
      const outcome = await stack.watcher.wait(key, 60 * 60_000);
      if (outcome.status !== 'finished') throw new Error(`${exp.name} ${tag}: ${outcome.message}`);
      const report = ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
      console.error(`[${exp.name}] ${tag}: accuracy ${pct(report.accuracy?.overall.accuracy)}, query share ${pct(report.queryProportion)}`);
      return report;
    };
    const row = (stage: string, traffic: string, gate: string, test: Report) =>
      lines.push(`| ${exp.name} | ${stage} | ${traffic} | ${gate} | ${pct(test.accuracy?.overall.accuracy)} | ${pct(test.queryProportion)} |`);
    row('before 2CD (specialist alone)', '-', '-', await run('test-before', testKey, 'evaluation'));
    for (let round = 1; round <= rounds; round += 1) {
      const slice = data.distillPool.slice((round - 1) * roundRows, round * roundRows);
      const traffic = await run(`traffic-${round}`, await upload(`traffic-${round}`, slice, labelled), 'production');
      const job = await enqueueDistillation(stack.runtime, { modelName: name, runIds: [traffic.runId], ...(labelled ? { includeLabelled: true } : {}) });
      const summary: DistillSummary = await waitForDistillation(stack.runtime, job, 30 * 60_000);
      const gate = summary.status === 'trained' ? `${summary.promotion.promoted ? 'promoted' : 'kept as candidate'}: ${summary.promotion.reason}` : summary.status;
      const sets = summary.status === 'no-model' ? '' : ` (x1 ${summary.x1}, x3 ${summary.x3}, held out ${summary.heldOut})`;
      console.error(`[${exp.name}] round ${round}: ${gate}${sets}`);
      row(`after round ${round}`, `${slice.length} (traffic query share ${pct(traffic.queryProportion)})${sets}`, gate, await run(`test-round-${round}`, testKey, 'evaluation'));
    }
  }
} finally {
  await stack.close();
}
console.log(`\nlabels on traffic: ${labelled ? 'yes (includeLabelled; gate on gold labels)' : 'no (gate on agreement with the large model)'}, delta ${delta}\n`);
console.log(lines.join('\n'));
