import { randomBytes } from 'node:crypto';
import { checkInputUri, ManifestSchema, type DatasetRow, type Report, type ResultRecord } from '@datashunt/contracts';
import { ModelRegistry, trainAndRegister, type HyperParameters, type LabelledRow, type TrainableFamily } from '@datashunt/small-models';
import { putBytes, toJsonl } from '@datashunt/storage';
import { choiceFor } from './calibration-format.js';
import { calibrate, type CalibrationOutcome, type CalibrationTarget } from './calibration-runs.js';
import { drawSeeded, readDatasetRows, type CalibrationSample } from './calibration-sample.js';
import { runThroughPipeline, type PipelineDeps } from './pipeline-run.js';
import { CommandError } from './command-errors.js';

/** What bootstrap needs of the manifest: no input (the command's), no delta (calibrated) and no small model yet. */
export const BootstrapManifestSchema = ManifestSchema.partial({ input: true, delta: true, smallModel: true });

/** Share of the labelled sample kept out of training, on which the new model is calibrated. */
export const CALIBRATION_SHARE = 0.25;

export interface BootstrapOptions {
  /** Where the unlabelled rows are: s3://bucket/key inside INPUT_SCOPES, or a local JSONL file. */
  input: string;
  /** Rows the large model labels. */
  sample: number;
  /** The labelling run's budgetUsd: the cap on what labelling may cost. */
  maxUsd: number;
  seed: number;
  family: TrainableFamily;
  modelName: string;
  target: CalibrationTarget;
  /** false: stop after calibrating (no DS+ run over the rest). */
  run: boolean;
  hyper?: Partial<HyperParameters>;
}

export interface BootstrapOutcome {
  labelling: { runId: string; rows: number; costUsd: number; paidCalls: number; cachedCalls: number; trainingRows: number; excluded: Record<string, number> };
  /** trainIds: the sample rows it was trained on (their large-model labels). */
  model: { name: string; version: string; trainIds: string[]; validationAccuracy: number };
  calibration: CalibrationOutcome;
  /** The DS+ run over the rows not in the sample; absent with run: false. */
  run?: Report;
  /** The sample and the rest as uploaded (keys in the run bucket). */
  keys: { sample: string; rest: string };
}

/**
 * Cold start, every step a run through the pipeline: the large model labels a seeded sample in a
 * large-only run capped at `maxUsd` (no small model is needed for it); a specific small model is
 * trained on its resolved answers (unresolved answers and fallbacks are never learnt), registered
 * and calibrated on the sample rows training did not see; then DS+ runs over the rest at the delta
 * the calibration chose for the target.
 */
export async function bootstrap(deps: PipelineDeps, manifestJson: unknown, o: BootstrapOptions): Promise<BootstrapOutcome> {
  const parsed = BootstrapManifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new CommandError(`manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data;
  const { s3, bucket } = deps.runtime;
  const log = deps.log ?? (() => {});
  const labels = manifest.task.labels;

  const { rows: all, labelled } = await readDatasetRows({ source: o.input, labels, s3, scopes: deps.config.scopes });
  if (o.sample >= all.length && o.run) throw new CommandError(`${o.input} has ${all.length} rows: --sample ${o.sample} leaves none for the DS+ run (lower it, or give --no-run)`);
  const { picked, rest } = drawSeeded(all, Math.min(o.sample, all.length), o.seed);

  const stamp = `${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const upload = async (part: string, rows: readonly DatasetRow[]) => {
    const key = `datasets/bootstrap/${o.modelName}/${stamp}/${part}.jsonl`;
    const readable = checkInputUri(key, deps.config.scopes);
    if (!readable.ok) throw new CommandError(`bootstrap puts its rows at s3://${bucket}/${key}, which runs cannot read: ${readable.message}`);
    await putBytes(s3, { bucket, key }, toJsonl(rows));
    return key;
  };
  const keys = { sample: await upload('sample', picked), rest: await upload('rest', rest) };
  log(`drew ${picked.length} of ${all.length} rows (seed ${o.seed}) for the large model to label; ${rest.length} rows left for DS+`);

  // Plain prompts: there is no small model yet whose probabilities a pruned prompt could carry.
  const labelling = await runThroughPipeline(
    deps,
    { ...manifest, name: `boot-${stamp}-label`, input: { uri: keys.sample }, smallModel: { name: o.modelName, useLearnable: false }, strategy: 'large-only', promptMode: 'plain', delta: 1, budgetUsd: o.maxUsd },
    'labelling',
  );
  const { report } = labelling;
  const overBudget = labelling.results.filter((r) => r.fallbackReason === 'over_budget').length;
  if (overBudget > 0) {
    throw new CommandError(
      `--max-usd ${o.maxUsd} ran out: the large model labelled ${picked.length - overBudget} of ${picked.length} sample rows for $${report.costUsd.toFixed(4)} before the cap stopped it (run ${report.runId}); raise --max-usd or lower --sample`,
    );
  }
  log(`labelling run ${report.runId}: ${report.largeModelCalls.paid} paid and ${report.largeModelCalls.cached} cached calls, $${report.costUsd.toFixed(4)}`);

  // Calibrated on rows the model never trained on; labels of those rows are gold where the input has them.
  const { picked: calibrationRows, rest: trainingCandidates } = drawSeeded(picked, Math.round(picked.length * CALIBRATION_SHARE), o.seed + 1);
  const { train, excluded } = trainingRowsOf(picked, trainingCandidates, labelling.results);
  if (train.length < labels.length * 2) throw new CommandError(`only ${train.length} sample rows got a resolved answer from the large model (${JSON.stringify(excluded)} left out): too few to train on`);
  const missing = labels.filter((l) => !train.some((r) => r.label === l));
  if (missing.length) log(`warning: the large model gave no training row the label ${missing.join(', ')}; the model cannot predict it`);

  const trained = await trainAndRegister({
    registry: new ModelRegistry(s3, bucket),
    name: o.modelName,
    task: manifest.task.instruction,
    family: o.family,
    labels,
    train,
    ...(o.hyper ? { hyper: o.hyper } : {}),
    promote: true,
  });
  const version = trained.meta.version;
  log(`trained ${o.modelName} ${version} (${o.family}) on ${train.length} large-model labels; accuracy ${(100 * trained.evaluation.accuracy).toFixed(2)}% on its own validation slice of them`);

  const sample: CalibrationSample = { source: `bootstrap sample of ${o.input} (held out of training)`, rows: calibrationRows, labelled, seed: o.seed };
  const targets: CalibrationTarget[] = o.target.target === 'max-accuracy' ? [o.target] : [{ target: 'max-accuracy' }, o.target];
  const calibration = await calibrate(deps, { ...manifest, smallModel: { name: o.modelName, version, useLearnable: false } }, sample, targets);
  const chosen = choiceFor(calibration.record, o.target.target).choice;
  if (!chosen.feasible) throw new CommandError(`calibration of ${o.modelName} ${version} cannot meet ${o.target.target}: ${chosen.reason}`);
  log(`calibrated ${o.modelName} ${version} on ${calibrationRows.length} held-out sample rows: delta ${chosen.point.delta} for ${o.target.target}`);

  const outcome: BootstrapOutcome = {
    labelling: { runId: report.runId, rows: picked.length, costUsd: report.costUsd, paidCalls: report.largeModelCalls.paid, cachedCalls: report.largeModelCalls.cached, trainingRows: train.length, excluded },
    model: { name: o.modelName, version, trainIds: train.map((r) => r.id), validationAccuracy: trained.evaluation.accuracy },
    calibration,
    keys,
  };
  if (!o.run) return outcome;
  const shunt = await runThroughPipeline(
    deps,
    { ...manifest, name: `boot-${stamp}-run`, input: { uri: keys.rest }, smallModel: { name: o.modelName, version, useLearnable: false }, strategy: 'shunt', delta: o.target },
    'DS+',
  );
  return { ...outcome, run: shunt.report };
}

/**
 * The large model's answers on the training rows, as training rows: only answers it gave and that
 * parsed into the label set. Unresolved answers and fallbacks carry no label of its, so they are
 * counted by reason and left out.
 */
export function trainingRowsOf(sample: readonly DatasetRow[], rows: readonly DatasetRow[], results: readonly ResultRecord[]): { train: LabelledRow[]; excluded: Record<string, number> } {
  const lineOf = new Map(sample.map((row, i) => [row, i + 1]));
  const byLine = new Map(results.map((r) => [r.line, r]));
  const train: LabelledRow[] = [];
  const excluded: Record<string, number> = {};
  for (const row of rows) {
    const result = byLine.get(lineOf.get(row)!);
    const reason = !result ? 'rejected' : result.source !== 'large' ? (result.fallbackReason ?? result.source) : result.fallbackReason;
    if (reason) excluded[reason] = (excluded[reason] ?? 0) + 1;
    else train.push({ id: String(row.id), input: row.input, label: result!.label });
  }
  return { train, excluded };
}
