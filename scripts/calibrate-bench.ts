// Issue 7 (a) through the pipeline: on each benchmark data set, calibrate on validation (labelled), then
// run test as small-only, large-only and DS+ with "delta": {"target": "max-accuracy"}.
// `pnpm build && node_modules/.bin/tsx scripts/calibrate-bench.ts [--only spam,mnist-lt,fine-foods] [--out-dir .data/calibrate-bench]`
// The constructed case where the large model is the weaker one: `--stand-in-per-class 3` builds every
// stand-in from a handful of rows per class (use its own --out-dir: the stand-in is served under the task's name).
// `--test-rows` / `--validation-rows` cut the splits to keep a run small.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchStack } from './bench-stack.js';
import { EXPERIMENT_NAMES, EXPERIMENTS, PRICE_TABLE, RATE_LIMIT_RPM, type BenchPlan, type BenchRow } from '../packages/bench/dist/index.js';
import { calibrate, choiceFor, formatCalibration } from '../packages/cli/dist/index.js';
import { ReportSchema, type ManifestInput } from '@datashunt/contracts';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { getJson, putBytes, putJson, toJsonl } from '@datashunt/storage';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: EXPERIMENT_NAMES.join(',') },
    'out-dir': { type: 'string', default: '.data/calibrate-bench' },
    'stand-in-per-class': { type: 'string' },
    'test-rows': { type: 'string' },
    'validation-rows': { type: 'string' },
  },
});
const outDir = resolve(values['out-dir']!);
const only = values.only!.split(',') as BenchPlan['only'];
const count = (flag: string | undefined) => (flag === undefined ? undefined : Number.parseInt(flag, 10));
const perClass = count(values['stand-in-per-class']);
const plan: BenchPlan = {
  only,
  sweep: false,
  ablation: false,
  outDir,
  log: (l) => console.error(l),
  ...(values['test-rows'] ? { testRows: count(values['test-rows']) } : {}),
  ...(values['validation-rows'] ? { validationRows: count(values['validation-rows']) } : {}),
  ...(perClass ? { overrides: Object.fromEntries(only.map((name) => [name, { standIn: { ...EXPERIMENTS[name].standIn, perClass } }])) } : {}),
};
const { stack, prepared } = await startBenchStack(plan, { queuePrefix: 'calbench' });
const { s3, bucket } = stack.runtime;
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const lines: string[] = ['| data set | small only | large only | DS+ max-accuracy | delta (validation) | DS+ query share | DS+ - best of both |', '|---|---|---|---|---|---|---|'];
try {
  for (const { exp, data } of prepared) {
    const nonce = randomBytes(3).toString('hex');
    const name = `cal-${exp.name}-${nonce}`;
    const trained = await trainAndRegister({ registry: new ModelRegistry(s3, bucket), name, task: exp.name, family: exp.family, labels: data.labels, train: data.specialistTrain, validation: data.validation, hyper: exp.specialistHyper });
    const upload = async (split: string, rows: readonly BenchRow[]) => {
      const key = `datasets/calbench/${nonce}/${exp.name}-${split}.jsonl`;
      await putBytes(s3, { bucket, key }, toJsonl(rows.map((r) => ({ id: r.id, input: r.input, label: r.label }))));
      return key;
    };
    const testKey = await upload('test', data.test);
    const manifest = (over: Partial<ManifestInput>): ManifestInput => ({
      task: { type: 'classification', labels: data.labels, instruction: exp.instruction, inputKind: exp.inputKind },
      input: { uri: testKey },
      smallModel: { name, version: trained.meta.version, useLearnable: false },
      largeModel: { model: 'reference-generalist', pricing: { inputPer1M: PRICE_TABLE.inputPer1M, outputPer1M: PRICE_TABLE.outputPer1M }, rateLimitRpm: RATE_LIMIT_RPM },
      delta: 1,
      promptMode: 'soft+hard',
      budgetUsd: 100,
      shardSize: 1_000,
      ...over,
    });
    const deps = { config: stack.config, runtime: stack.runtime, watcher: stack.watcher, log: (l: string) => console.error(`[${exp.name}] ${l}`) };
    const sample = { source: `${exp.name} validation split`, rows: data.validation.map((r) => ({ id: r.id, input: r.input, label: r.label })), labelled: true, seed: null };
    const { record, recordKey } = await calibrate(deps, manifest({}), sample, [{ target: 'max-accuracy' }]);
    console.log(`\n## ${exp.name}\n${formatCalibration(record, 'max-accuracy', `s3://${bucket}/${recordKey}`)}\n`);
    const run = async (tag: string, over: Partial<ManifestInput>) => {
      const key = `${stack.config.MANIFEST_PREFIX}${name}-${tag}.json`;
      await putJson(s3, { bucket, key }, manifest({ name: `${name}-${tag}`, ...over }));
      const outcome = await stack.watcher.wait(key, 60 * 60_000);
      if (outcome.status !== 'finished') throw new Error(`${exp.name} ${tag}: ${outcome.message}`);
      const report = ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
      console.error(`[${exp.name}] test ${tag}: accuracy ${pct(report.accuracy?.overall.accuracy)}, query share ${pct(report.queryProportion)}, delta ${report.delta} (${JSON.stringify(report.deltaSource)})`);
      return report;
    };
    const small = await run('small-only', { strategy: 'small-only' });
    const large = await run('large-only', { strategy: 'large-only', promptMode: 'plain' });
    const shunt = await run('ds-max-accuracy', { delta: { target: 'max-accuracy' } });
    const acc = (r: typeof small) => r.accuracy!.overall.accuracy!;
    const best = Math.max(acc(small), acc(large));
    const chosen = choiceFor(record, 'max-accuracy').choice;
    lines.push(`| ${exp.name}${perClass ? `, stand-in from ${perClass} rows per class` : ''} (${data.test.length} test rows) | ${pct(acc(small))} | ${pct(acc(large))} | ${pct(acc(shunt))} | ${chosen.feasible ? chosen.point.delta : '-'} | ${pct(shunt.queryProportion)} | ${((acc(shunt) - best) * 100).toFixed(2)} pt |`);
  }
} finally {
  await stack.close();
}
console.log(lines.join('\n'));
