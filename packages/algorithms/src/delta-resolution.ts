/**
 * A manifest's delta as the number a run uses: a number stands as given; a target is chosen on the
 * delta curve that `datashunt calibrate` stored with the small model's version.
 */
import type { CalibrationRecord, DeltaSource, DeltaTargetSpec, Manifest } from '@datashunt/contracts';
import type { DeltaCurve } from './delta-curve.js';
import { chooseDelta, type DeltaTarget } from './delta-targets.js';

export type DeltaResolution = { ok: true; delta: number; source: DeltaSource } | { ok: false; message: string };

/** The algorithm's target for a manifest target other than guarantee (which each run chooses for itself). */
export function deltaTargetOf(spec: Exclude<DeltaTargetSpec, { target: 'guarantee' }>): DeltaTarget {
  switch (spec.target) {
    case 'max-accuracy':
      return { target: 'max-accuracy' };
    case 'match-large':
      return { target: 'match-large', tolerance: spec.tolerance };
    case 'budget':
      return {
        target: 'budget',
        ...(spec.maxQueryShare === undefined ? {} : { maxQueryShare: spec.maxQueryShare }),
        ...(spec.maxUsdPer1k === undefined ? {} : { maxDollarsPer1k: spec.maxUsdPer1k }),
      };
  }
}

/**
 * `model` names the small model and the version the run will score with (undefined: none is
 * registered as current); `record` is that version's calibration, if it has one.
 */
export function resolveDelta(delta: Manifest['delta'], model: { name: string; version: string | undefined }, record: CalibrationRecord | undefined): DeltaResolution {
  if (typeof delta === 'number') return { ok: true, delta, source: { kind: 'manifest' } };
  if (delta.target === 'guarantee') {
    return { ok: false, message: 'delta target "guarantee" is chosen by the run\'s own sampling phase, not from a calibration record' };
  }
  if (model.version === undefined) return { ok: false, message: `small model ${model.name} has no current specific version to read a calibration from` };
  if (record === undefined) {
    return {
      ok: false,
      message: `small model ${model.name} version ${model.version} has no calibration record: run \`datashunt calibrate\` first, or give delta as a number`,
    };
  }
  const choice = chooseDelta(record.curve as DeltaCurve, deltaTargetOf(delta));
  if (!choice.feasible) return { ok: false, message: `delta target "${delta.target}" cannot be met on the calibration of ${model.name} ${model.version}: ${choice.reason}` };
  return { ok: true, delta: choice.point.delta, source: { kind: 'calibration', target: delta, calibratedAt: record.calibratedAt, modelVersion: model.version } };
}
