import type { InputLocation, Manifest, ModelMeta } from '@datashunt/contracts';
import { imageShapeForWidth, rowMapping, type ImageShape } from '@datashunt/formats';
import { ModelCalibrations, type InputObject } from '@datashunt/runs';
import type { Config, Runtime } from '@datashunt/runtime';
import { planInputObjects } from './input-objects.js';
import { resolveManifestDelta, type ManifestDelta } from './manifest-delta.js';
import { checkManifest, checkManifestPolicy, invalidManifest, type ManifestIssue } from './manifest-validation.js';
import { checkSmallModel } from './model-check.js';

/** A manifest ingest can plan a run from, with what the checks found. */
export interface PlannableManifest {
  ok: true;
  /** Its labels in the small model's order (another order is mapped by name). */
  manifest: Manifest;
  input: InputLocation;
  /** undefined: a large-only run whose small model is not registered (its rows are not scored). */
  model: { version: string; meta: ModelMeta } | undefined;
  image: ImageShape | undefined;
  inputs: InputObject[];
  delta: Extract<ManifestDelta, { ok: true }>;
}

export type PlanCheck = PlannableManifest | { ok: false; message: string; issues: ManifestIssue[] };

/**
 * Everything ingest checks before it plans a run, in its order, stopping at the first stage that
 * fails: the schema, the operator's policy, the small model (labels, input kind), an image field's
 * shape, the input objects (formats, columns) and the delta. `datashunt manifest check` runs the same
 * checks. An S3 that cannot be reached throws.
 */
export async function checkPlannable(deps: Pick<Runtime, 's3' | 'bucket'> & { config: Pick<Config, 'scopes' | 'endpoints'> }, bytes: Buffer): Promise<PlanCheck> {
  const check = checkManifest(bytes);
  if (!check.ok) return check;
  const allowed = checkManifestPolicy(check.manifest, deps.config);
  if (!allowed.ok) return allowed;
  const input = allowed.input;
  const model = await checkSmallModel(deps, check.manifest);
  // A large-only run needs no small model (the cold start labels with it); its rows are then not scored.
  const unscored = !model.ok && model.unregistered === true && check.manifest.strategy === 'large-only';
  if (!model.ok && !unscored) return invalidManifest(model.issues);
  const manifest = model.ok ? { ...check.manifest, task: { ...check.manifest.task, labels: model.labels } } : check.manifest;
  let image: ImageShape | undefined;
  if (manifest.input.fields?.image !== undefined) {
    if (!model.ok) {
      const message = `no small model "${manifest.smallModel.name}" is registered to give the image size: give a large-only run's images as pixels`;
      return { ok: false, message, issues: [{ path: 'input.fields.image', message }] };
    }
    const featurizer = model.meta.featurizer;
    const width = featurizer.kind === 'pixels' ? featurizer.shape.reduce((a, b) => a * b, 1) : 0;
    image = imageShapeForWidth(width);
    if (!image) {
      const message = `model ${model.meta.name}@${model.version} takes ${width} values (shape [${featurizer.kind === 'pixels' ? featurizer.shape.join(', ') : ''}]), not a square grey or RGB image: give its input as pixels`;
      return { ok: false, message, issues: [{ path: 'input.fields.image', message }] };
    }
  }
  // Every object is looked at before any shard: binary or contradictory input would become one garbage reject per "line".
  const inputs = await planInputObjects(deps.s3, input, manifest, rowMapping(manifest, image), deps.config.scopes);
  if (!inputs.ok) return inputs;
  const delta = await resolveManifestDelta(new ModelCalibrations(deps.s3, deps.bucket), manifest, model.ok ? model.version : undefined);
  if (!delta.ok) return { ok: false, message: delta.message, issues: [{ path: 'delta', message: delta.message }] };
  if ('guarantee' in delta && manifest.strategy !== 'shunt') {
    const message = `delta target "guarantee" chooses where strategy "shunt" routes; strategy "${manifest.strategy}" has no threshold`;
    return { ok: false, message, issues: [{ path: 'delta', message }] };
  }
  const guaranteed = 'guarantee' in delta ? delta.guarantee.label : undefined;
  if (guaranteed !== undefined && !manifest.task.labels.includes(guaranteed)) {
    const message = `delta.label "${guaranteed}" is not one of the task's labels (${manifest.task.labels.join(', ')})`;
    return { ok: false, message, issues: [{ path: 'delta.label', message }] };
  }
  return { ok: true, manifest, input, model: model.ok ? { version: model.version, meta: model.meta } : undefined, image, inputs: inputs.objects, delta };
}
