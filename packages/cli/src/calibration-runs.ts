import { randomBytes } from 'node:crypto';
import { chooseDelta, deltaCurve, deltaTargetOf, type CurveRow } from '@datashunt/algorithms';
import { checkInputUri, ManifestSchema, modelKeys, type CalibrationRecord, type DeltaTargetSpec, type ResultRecord } from '@datashunt/contracts';
import { ModelCalibrations } from '@datashunt/runs';
import { toJsonl, putBytes } from '@datashunt/storage';
import type { CalibrationSample } from './calibration-sample.js';
import { CommandError } from './command-errors.js';
import { runThroughPipeline, type PipelineDeps } from './pipeline-run.js';

/** What calibrate needs of the manifest: everything but the input (the sample) and delta (what it measures). */
export const CalibrationManifestSchema = ManifestSchema.partial({ input: true, delta: true });

/** A target calibrate chooses for (guarantee is not one of them yet). */
export type CalibrationTarget = Exclude<DeltaTargetSpec, { target: 'guarantee' }>;

export type CalibrationDeps = PipelineDeps;

export interface CalibrationOutcome {
  record: CalibrationRecord;
  recordKey: string;
}

/**
 * Runs the sample through the real pipeline as small-only and large-only (the large model's answers
 * are paid once: the response cache answers the same prompts later), computes the DS+ curve from the
 * two results files, chooses delta for each target and stores the record with the model version.
 */
export async function calibrate(deps: CalibrationDeps, manifestJson: unknown, sample: CalibrationSample, targets: readonly CalibrationTarget[]): Promise<CalibrationOutcome> {
  const parsed = CalibrationManifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new CommandError(`manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data;
  const { s3, bucket } = deps.runtime;
  const log = deps.log ?? (() => {});
  const calibrations = new ModelCalibrations(s3, bucket);
  const name = manifest.smallModel.name;
  const version = manifest.smallModel.version ?? (await calibrations.currentSpecific(name));
  if (version === undefined) throw new CommandError(`small model ${name} has no current specific version; train or promote one, or pin smallModel.version`);

  const stamp = `${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const sampleKey = `datasets/calibration/${name}/${version}/${stamp}.jsonl`;
  const readable = checkInputUri(sampleKey, deps.config.scopes);
  if (!readable.ok) throw new CommandError(`the calibration sample goes to s3://${bucket}/${sampleKey}, which runs cannot read: ${readable.message}`);
  await putBytes(s3, { bucket, key: sampleKey }, toJsonl(sample.rows));
  log(`uploaded ${sample.rows.length} ${sample.labelled ? 'labelled' : 'unlabelled'} rows to s3://${bucket}/${sampleKey}`);

  const runManifest = (strategy: 'small-only' | 'large-only') => ({
    ...manifest,
    name: `cal-${stamp}-${strategy}`,
    input: { uri: sampleKey },
    // The learnable model changes with 2CD; the curve belongs to the specific version.
    smallModel: { name, version, useLearnable: false },
    delta: 1,
    strategy,
  });
  const [small, large] = await Promise.all(
    (['small-only', 'large-only'] as const).map(async (strategy) => {
      const { report, results } = await runThroughPipeline(deps, runManifest(strategy), strategy);
      log(`${strategy} run ${report.runId}: ${results.length} results, ${report.largeModelCalls.paid} paid and ${report.largeModelCalls.cached} cached large-model calls`);
      return { report, results };
    }),
  );

  const rows = curveRows(sample, small!.results, large!.results);
  const { inputPer1M, outputPer1M } = manifest.largeModel.pricing;
  // Priced from tokens, not from what was paid: cached answers cost nothing now but do in a run of new rows.
  const tokenCost = large!.results.reduce((sum, r) => sum + (r.tokens.input * inputPer1M + r.tokens.output * outputPer1M) / 1e6, 0);
  const curve = deltaCurve(rows, { largeCostPerCall: tokenCost / rows.length });
  const record: CalibrationRecord = {
    model: { name, version },
    calibratedAt: new Date().toISOString(),
    sample: { source: sample.source, key: sampleKey, rows: rows.length, seed: sample.seed, labelled: sample.labelled },
    largeModel: {
      endpoint: manifest.largeModel.endpoint,
      model: manifest.largeModel.model,
      pricing: { inputPer1M, outputPer1M },
      promptMode: manifest.promptMode,
    },
    runs: { smallOnly: small!.report.runId, largeOnly: large!.report.runId },
    largeModelCalls: large!.report.largeModelCalls,
    curve,
    choices: targets.map((target) => ({ target, choice: chooseDelta(curve, deltaTargetOf(target)) })),
  };
  await calibrations.write(record);
  return { record, recordKey: modelKeys(name).version(version).calibration };
}

/** Joins the two runs by line (the sample file is ours, one row per line); the large model must have answered every row. */
function curveRows(sample: CalibrationSample, small: readonly ResultRecord[], large: readonly ResultRecord[]): CurveRow[] {
  const byLine = (results: readonly ResultRecord[]) => new Map(results.map((r) => [r.line, r]));
  const smallByLine = byLine(small);
  const largeByLine = byLine(large);
  const unanswered = large.filter((r) => r.fallbackReason === 'llm_error' || r.fallbackReason === 'over_budget');
  if (unanswered.length) {
    const reasons = [...new Set(unanswered.map((r) => r.fallbackReason))].join(', ');
    throw new CommandError(`the large model gave no answer for ${unanswered.length} of ${large.length} rows (${reasons}); a curve needs its answer on every row (raise budgetUsd, or check the endpoint)`);
  }
  return sample.rows.map((row, i) => {
    const s = smallByLine.get(i + 1);
    const l = largeByLine.get(i + 1);
    if (!s || !l) throw new CommandError(`sample row ${i + 1} (id ${row.id}) has no result in the ${s ? 'large-only' : 'small-only'} run; see its rejects.jsonl`);
    return { smallLabel: s.label, smallConfidence: s.c_s1, largeLabel: l.label, ...(row.label === undefined ? {} : { gold: row.label }) };
  });
}
