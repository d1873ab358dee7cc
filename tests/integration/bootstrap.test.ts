import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap, CALIBRATION_SHARE, type BootstrapOptions, type PipelineDeps } from '@datashunt/cli';
import { CalibrationRecordSchema, modelKeys, ReportSchema, ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { datasetPaths } from '@datashunt/datasets';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { spamManifest, spamSplits, startTestStack, toJsonl, type TestStack } from '../support/stack';

const ROWS = 300;
const SAMPLE = 160;

/** `datashunt bootstrap` on spam with no small model and no labels, every step a run of the real pipeline. */
describe('bootstrap', () => {
  let stack: TestStack;
  let deps: PipelineDeps;
  let inputPath: string;
  // No small model and no delta: bootstrap makes both.
  const { smallModel: _model, delta: _delta, input: _input, ...manifest } = spamManifest('unused.jsonl', { budgetUsd: 5 });
  const options = (over: Partial<BootstrapOptions>): BootstrapOptions => ({
    input: inputPath,
    sample: SAMPLE,
    maxUsd: 1,
    seed: 1,
    family: 'text-fasttext',
    modelName: 'spam-boot',
    target: { target: 'max-accuracy' },
    run: true,
    hyper: { epochs: 4, seed: 3 },
    ...over,
  });

  beforeAll(async () => {
    const splits = await spamSplits();
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train });
    deps = { config: stack.config, runtime: stack.runtime, watcher: stack.watcher, dropManifest: stack.dropManifest, runTimeoutMs: 240_000 };
    inputPath = join(stack.dir, 'unlabelled.jsonl');
    // The user's data has no labels.
    writeFileSync(inputPath, toJsonl(splits.validation.slice(0, ROWS).map(({ id, input }) => ({ id, input }))));
  });
  afterAll(() => stack?.dispose());

  const report = async (runId: string) => ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).report }));

  it('labels a sample with the large model, trains, registers and calibrates a model on it, and runs DS+ over the rest', async () => {
    const outcome = await bootstrap(deps, manifest, options({}));

    // The labelling run is a real, metered large-only run with no small model behind it.
    const labelling = await report(outcome.labelling.runId);
    expect(labelling.rows).toBe(SAMPLE);
    expect(labelling.bySource.large).toBe(SAMPLE);
    expect(labelling.modelVersions.specific).toBe('none');
    expect(labelling.costUsd).toBeGreaterThan(0);
    expect(labelling.costUsd).toBeLessThanOrEqual(1);
    expect(outcome.labelling.costUsd).toBe(labelling.costUsd);
    const held = Math.round(SAMPLE * CALIBRATION_SHARE);
    const excluded = Object.values(outcome.labelling.excluded).reduce((a, b) => a + b, 0);
    expect(outcome.labelling.trainingRows + excluded).toBe(SAMPLE - held);

    // Registered as the current specific model, with a calibration record over the held-out rows.
    expect(await stack.registry.current('spam-boot', 'specific')).toBe(outcome.model.version);
    const record = CalibrationRecordSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: modelKeys('spam-boot').version(outcome.model.version).calibration }));
    expect(record.sample).toMatchObject({ rows: held, labelled: false });
    expect(record.curve.basis).toBe('large-agreement');

    // DS+ over the rows not in the sample: one result per row, at the calibrated delta.
    const run = outcome.run!;
    expect(run.status).not.toBe('failed');
    expect(run.rows).toBe(ROWS - SAMPLE);
    const results = (await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', run.runId).results })).map((r) => ResultRecordSchema.parse(r));
    expect(results).toHaveLength(ROWS - SAMPLE);
    expect(new Set(results.map((r) => r.id)).size).toBe(ROWS - SAMPLE);
    expect(results.every((r) => r.modelVersion === outcome.model.version || r.source === 'large')).toBe(true);
    expect(run.deltaSource).toEqual({ kind: 'calibration', target: { target: 'max-accuracy' }, calibratedAt: record.calibratedAt, modelVersion: outcome.model.version });
    const sampleIds = new Set((await readAllJsonl<{ id: string }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.keys.sample })).map((r) => r.id));
    expect(results.some((r) => sampleIds.has(String(r.id)))).toBe(false);
  });

  it('stops with a clear failure when --max-usd is below what the sample costs', async () => {
    // Another seed draws rows not labelled yet, so their calls are not in the response cache.
    await expect(bootstrap(deps, manifest, options({ seed: 2, maxUsd: 0.000001, modelName: 'spam-capped' }))).rejects.toThrow(
      /^--max-usd 0\.000001 ran out: the large model labelled \d+ of 160 sample rows for \$[0-9.]+ before the cap stopped it \(run boot-.*\); raise --max-usd or lower --sample$/,
    );
    expect(await stack.registry.current('spam-capped', 'specific')).toBeUndefined();
  });
});
