import { resolveDelta, type DeltaResolution } from '@datashunt/algorithms';
import type { Manifest } from '@datashunt/contracts';
import type { ModelCalibrations } from '@datashunt/runs';

/**
 * The delta a run uses, fixed at plan time so every worker applies the same number: a target is read
 * from the calibration of the version the manifest pins, or of the current one.
 */
export async function resolveManifestDelta(calibrations: ModelCalibrations, manifest: Manifest): Promise<DeltaResolution> {
  const { name } = manifest.smallModel;
  if (typeof manifest.delta === 'number' || manifest.delta.target === 'guarantee') return resolveDelta(manifest.delta, { name, version: undefined }, undefined);
  const version = manifest.smallModel.version ?? (await calibrations.currentSpecific(name));
  return resolveDelta(manifest.delta, { name, version }, version === undefined ? undefined : await calibrations.read(name, version));
}
