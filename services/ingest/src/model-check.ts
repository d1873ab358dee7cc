import { modelKeys, ModelMetaSchema, type Manifest, type ModelMeta } from '@datashunt/contracts';
import type { Runtime } from '@datashunt/runtime';
import { getJsonIfExists } from '@datashunt/storage';
import type { ManifestIssue } from './manifest-validation.js';

type ModelCheck = { ok: true; labels: string[] } | { ok: false; issues: ManifestIssue[] };
/** `unregistered`: no version of the model exists yet (a large-only run can go without one). */
type ModelFound = { ok: true; labels: string[]; version: string; meta: ModelMeta } | { ok: false; issues: ManifestIssue[]; unregistered?: true };

/**
 * Whether the small model can serve the task: it reads the task's kind of input and knows exactly the
 * task's labels. Labels listed in another order are mapped by name: the run uses the model's order.
 */
export function compareModelToTask(meta: ModelMeta, task: Manifest['task']): ModelCheck {
  const issues: ManifestIssue[] = [];
  const modelKind = meta.featurizer.kind === 'pixels' ? 'image' : 'text';
  if (modelKind !== task.inputKind) {
    issues.push({ path: 'task.inputKind', message: `model ${meta.name}@${meta.version} reads ${modelKind} input, but the task's inputKind is "${task.inputKind}"; set task.inputKind to "${modelKind}"` });
  }
  const missing = meta.labels.filter((l) => !task.labels.includes(l));
  const unknown = task.labels.filter((l) => !meta.labels.includes(l));
  if (missing.length || unknown.length) {
    const parts = [unknown.length ? `not known to the model: ${unknown.join(', ')}` : '', missing.length ? `missing from the task: ${missing.join(', ')}` : ''].filter(Boolean);
    issues.push({ path: 'task.labels', message: `the task's labels differ from model ${meta.name}@${meta.version}'s [${meta.labels.join(', ')}] (${parts.join('; ')})` });
  }
  return issues.length ? { ok: false, issues } : { ok: true, labels: [...meta.labels] };
}

/** The registry entry a run will score with (the pinned version, or the specific model's current one) and whether it fits the task. */
export async function checkSmallModel({ s3, bucket }: Pick<Runtime, 's3' | 'bucket'>, manifest: Manifest): Promise<ModelFound> {
  const { name, version: pinned } = manifest.smallModel;
  const keys = modelKeys(name);
  const version = pinned ?? (await getJsonIfExists<{ version: string }>(s3, { bucket, key: keys.pointer('specific') }))?.version;
  if (!version) {
    return { ok: false, unregistered: true, issues: [{ path: 'smallModel.name', message: `no specific model named "${name}" is registered and promoted (see datashunt model list)` }] };
  }
  const raw = await getJsonIfExists(s3, { bucket, key: keys.version(version).meta });
  const meta = raw === undefined ? undefined : ModelMetaSchema.safeParse(raw);
  if (!meta?.success) {
    const path = pinned ? 'smallModel.version' : 'smallModel.name';
    return { ok: false, issues: [{ path, message: `model ${name} version ${version} is ${meta ? 'unreadable' : 'not registered'} (see datashunt model list)` }] };
  }
  const compared = compareModelToTask(meta.data, manifest.task);
  return compared.ok ? { ...compared, version, meta: meta.data } : compared;
}
