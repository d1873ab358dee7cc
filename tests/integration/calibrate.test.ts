import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate, calibrationSvg, choiceFor, formatCalibration, loadCalibrationSample, type CalibrationDeps } from '@datashunt/cli';
import { CalibrationRecordSchema, ManifestErrorSchema, modelKeys, ReportSchema, runKeys, type CalibrationRecord } from '@datashunt/contracts';
import { datasetPaths } from '@datashunt/datasets';
import { getJson } from '@datashunt/storage';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type SpamRow, type TestStack } from '../support/stack';

const TARGETS = [{ target: 'max-accuracy' as const }, { target: 'match-large' as const, tolerance: 0.01 }];

/** `datashunt calibrate` through the real pipeline, then a run whose manifest asks for a target instead of a number. */
describe('calibrate', () => {
  let stack: TestStack;
  let deps: CalibrationDeps;
  let splits: { train: SpamRow[]; validation: SpamRow[]; test: SpamRow[] };
  let samplePath: string;
  let version: string;

  beforeAll(async () => {
    splits = await spamSplits();
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train });
    // A slice of train keeps the file fast; the small model is then weaker, which gives the large model rows to win.
    version = (await trainSpamModel(stack.registry, splits.train.slice(0, 1200), splits.validation)).meta.version;
    deps = { config: stack.config, runtime: stack.runtime, watcher: stack.watcher, dropManifest: stack.dropManifest, runTimeoutMs: 120_000 };
    samplePath = join(stack.dir, 'validation.jsonl');
    writeFileSync(samplePath, toJsonl(splits.validation.slice(0, 300)));
    await stack.put('datasets/calibrated-run.jsonl', toJsonl(splits.test.slice(0, 60)));
  });
  afterAll(() => stack?.dispose());

  const sampleOf = () => loadCalibrationSample({ source: samplePath, labels: ['ham', 'spam'], seed: 1, s3: stack.runtime.s3, scopes: stack.config.scopes });
  const report = async (runId: string) => ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).report }));

  it('refuses a target while the model version has no calibration record, with error.json', async () => {
    const refused = async (name: string, over: Parameters<typeof spamManifest>[1]) => {
      await stack.dropManifest(`manifests/${name}.json`, spamManifest('datasets/calibrated-run.jsonl', { name, ...over }));
      const outcome = await stack.watcher.wait(`manifests/${name}.json`, 60_000);
      if (outcome.status !== 'invalid') throw new Error(`expected a refusal: ${JSON.stringify(outcome)}`);
      return ManifestErrorSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.errorKey }));
    };
    const uncalibrated = await refused('uncalibrated', { delta: { target: 'match-large' } });
    expect(uncalibrated.issues).toEqual([{ path: 'delta', message: expect.stringContaining('has no calibration record: run `datashunt calibrate` first') }]);
  });

  let record: CalibrationRecord;

  it('measures the curve from small-only and large-only runs and stores the record with the model version', async () => {
    const outcome = await calibrate(deps, spamManifest('unused.jsonl'), await sampleOf(), TARGETS);
    record = outcome.record;
    expect(outcome.recordKey).toBe(modelKeys('spam-text').version(version).calibration);
    const stored = CalibrationRecordSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.recordKey }));
    expect(stored).toEqual(record);
    expect(record.model).toEqual({ name: 'spam-text', version });
    expect(record.sample).toMatchObject({ rows: 300, labelled: true, seed: null, source: samplePath });
    expect(record.largeModel).toMatchObject({ endpoint: 'default', model: 'reference-generalist', promptMode: 'soft' });
    expect(record.largeModelCalls.paid + record.largeModelCalls.cached).toBe(300);
    expect(record.largeModelCalls.paid).toBeGreaterThan(0);

    // The curve's end points are the two runs' own accuracies, as finalize measured them.
    const [small, large] = await Promise.all([report(record.runs.smallOnly), report(record.runs.largeOnly)]);
    expect(small.bySource.small).toBe(300);
    expect(large.bySource.large).toBe(300);
    expect(record.curve.basis).toBe('gold');
    expect(record.curve.smallOnly.correct).toBe(small.accuracy!.overall.correct);
    expect(record.curve.largeOnly.correct).toBe(large.accuracy!.overall.correct);
    const zero = record.curve.points.find((p) => p.delta === 0)!;
    expect(zero).toMatchObject({ largeRows: 0, correct: small.accuracy!.overall.correct, dollarsPer1k: 0 });
    // Priced from tokens: at least what was paid (rows the cache answered within the run count too).
    expect(record.curve.largeCostPerCall).toBeGreaterThan(0);
    expect(record.curve.largeCostPerCall * 300).toBeGreaterThanOrEqual(large.costUsd - 1e-6);

    const max = choiceFor(record, 'max-accuracy').choice;
    expect(max.feasible).toBe(true);
    if (!max.feasible) return;
    expect(max.point.correct).toBe(Math.max(...record.curve.points.map((p) => p.correct)));
    expect(max.point.correct).toBeGreaterThanOrEqual(Math.max(record.curve.smallOnly.correct, record.curve.largeOnly.correct) - 300 * 0.01);

    const text = formatCalibration(record, 'max-accuracy', 's3://b/k');
    expect(text).toContain(`chosen for max-accuracy: delta ${max.point.delta}`);
    expect(text).toContain(max.reason);
    expect(text).toMatch(/curve:\ndelta +small rows +large rows +accuracy/);
    expect(text).toMatch(/\| *.*O/);
    expect(calibrationSvg(record, choiceFor(record, 'max-accuracy'))).toMatch(/^<svg[\s\S]*DS\+[\s\S]*<\/svg>$/);
  });

  it('runs a manifest with {"target": "max-accuracy"} at the stored delta and says where it came from', async () => {
    const max = choiceFor(record, 'max-accuracy').choice;
    if (!max.feasible) throw new Error(max.reason);
    await stack.dropManifest('manifests/calibrated.json', spamManifest('datasets/calibrated-run.jsonl', { name: 'calibrated', delta: { target: 'max-accuracy' } }));
    const outcome = await stack.watcher.wait('manifests/calibrated.json', 120_000);
    if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));
    const run = await report(outcome.runId);
    expect(run.delta).toBe(max.point.delta);
    expect(run.deltaSource).toEqual({ kind: 'calibration', target: { target: 'max-accuracy' }, calibratedAt: record.calibratedAt, modelVersion: version });
  });

  it('pays no large-model call when the same rows are calibrated again', async () => {
    const again = await calibrate(deps, spamManifest('unused.jsonl'), await sampleOf(), TARGETS);
    expect(again.record.largeModelCalls).toEqual({ paid: 0, cached: 300 });
    expect(again.record.curve.points).toEqual(record.curve.points);
  });
});
