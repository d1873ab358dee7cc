import { resolveDelta, type DeltaResolution } from '@datashunt/algorithms';
import type { Manifest } from '@datashunt/contracts';
import type { ModelCalibrations } from '@datashunt/runs';

/**
 * The delta a run uses, fixed at plan time so every worker applies the same number: a target is read
 * from the calibration of `version`, the one the plan-time model check found (pinned or current;
 * undefined for a large-only run without a small model, which has no calibration).
 */
export async function resolveManifestDelta(calibrations: ModelCalibrations, manifest: Manifest, version: string | undefined): Promise<DeltaResolution> {
  const { name } = manifest.smallModel;
  if (typeof manifest.delta === 'number' || manifest.delta.target === 'guarantee') return resolveDelta(manifest.delta, { name, version: undefined }, undefined);
  return resolveDelta(manifest.delta, { name, version }, version === undefined ? undefined : await calibrations.read(name, version));
}
