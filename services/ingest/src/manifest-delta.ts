import { resolveDelta, type DeltaResolution } from '@datashunt/algorithms';
import type { GuaranteeSpec, Manifest } from '@datashunt/contracts';
import type { ModelCalibrations } from '@datashunt/runs';

/** A guarantee run's delta is chosen after scoring, by its own sampling phase (see guarantee-sampling). */
export type ManifestDelta = DeltaResolution | { ok: true; guarantee: GuaranteeSpec };

/**
 * The delta a run uses, fixed at plan time so every worker applies the same number: a target is read
 * from the calibration of `version`, the one the plan-time model check found (pinned or current;
 * undefined for a large-only run without a small model, which has no calibration).
 */
export async function resolveManifestDelta(calibrations: ModelCalibrations, manifest: Manifest, version: string | undefined): Promise<ManifestDelta> {
  const { name } = manifest.smallModel;
  if (typeof manifest.delta === 'number') return resolveDelta(manifest.delta, { name, version: undefined }, undefined);
  if (manifest.delta.target === 'guarantee') return { ok: true, guarantee: manifest.delta };
  return resolveDelta(manifest.delta, { name, version }, version === undefined ? undefined : await calibrations.read(name, version));
}
