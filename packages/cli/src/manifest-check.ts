import { checkInputUri, type DeltaSource, type Manifest } from '@datashunt/contracts';
import { checkManifest, checkManifestPolicy, checkSmallModel, resolveManifestDelta, type ManifestIssue } from '@datashunt/ingest';
import { ModelCalibrations } from '@datashunt/runs';
import type { Config, Runtime } from '@datashunt/runtime';

type S3Client = Runtime['s3'];
import { headObject } from '@datashunt/storage';

/** What `datashunt manifest check` found: the issues ingest would refuse the manifest for. */
export interface ManifestCheckResult {
  valid: boolean;
  issues: ManifestIssue[];
  /** What S3 said; `checked: false` when it could not be asked (the schema and the operator's policy were still checked). */
  s3:
    | { checked: true; input: { uri: string; size: number } | null; model: { name: string; version: string; labels: string[] } | null; delta: { value: number; source: DeltaSource } | null }
    | { checked: false; reason: string };
}

/**
 * The checks ingest makes before it plans a run, made locally: the schema, the operator's policy
 * (scopes, endpoints, rate ceilings) and, through S3, the input object, the small model (labels and
 * input kind) and a delta target's calibration.
 */
export async function checkManifestBytes(bytes: Buffer, config: Config, s3: S3Client): Promise<ManifestCheckResult> {
  const schema = checkManifest(bytes);
  if (!schema.ok) return { valid: false, issues: schema.issues, s3: { checked: false, reason: 'the manifest does not pass the schema' } };
  const manifest = schema.manifest;
  const policy = checkManifestPolicy(manifest, config);
  const issues: ManifestIssue[] = policy.ok ? [] : [...policy.issues];
  try {
    const found = await checkAgainstS3(manifest, config, s3, issues);
    return { valid: issues.length === 0, issues, s3: { checked: true, ...found } };
  } catch (error) {
    return { valid: issues.length === 0, issues, s3: { checked: false, reason: `S3 at ${config.S3_ENDPOINT ?? `AWS (${config.S3_REGION})`} could not be read: ${(error as Error).message}` } };
  }
}

async function checkAgainstS3(manifest: Manifest, config: Config, s3: S3Client, issues: ManifestIssue[]) {
  let input: { uri: string; size: number } | null = null;
  const location = checkInputUri(manifest.input.uri, config.scopes);
  if (location.ok) {
    const head = await headObject(s3, location.value);
    const uri = `s3://${location.value.bucket}/${location.value.key}`;
    if (head) input = { uri, size: head.size };
    else issues.push({ path: 'input.uri', message: `${uri} does not exist` });
  }
  const model = await checkSmallModel({ s3, bucket: config.S3_BUCKET }, manifest);
  if (!model.ok) {
    issues.push(...model.issues);
    return { input, model: null, delta: null };
  }
  const { name } = manifest.smallModel;
  const delta = await resolveManifestDelta(new ModelCalibrations(s3, config.S3_BUCKET), { ...manifest, task: { ...manifest.task, labels: model.labels } }, model.version);
  if (!delta.ok) issues.push({ path: 'delta', message: delta.message });
  return { input, model: { name, version: model.version, labels: model.labels }, delta: delta.ok ? { value: delta.delta, source: delta.source } : null };
}

/** The check as lines for a person: the verdict, then each issue (or what was found) on its own line. */
export function formatManifestCheck(file: string, result: ManifestCheckResult): string {
  const lines = [`${file}: ${result.valid ? 'valid' : `invalid (${result.issues.length} ${result.issues.length === 1 ? 'issue' : 'issues'})`}`];
  for (const issue of result.issues) lines.push(`  ${issue.path || '(manifest)'}: ${issue.message}`);
  if (!result.s3.checked) lines.push(`  not checked against S3: ${result.s3.reason}`);
  else if (result.valid) {
    const { input, model, delta } = result.s3;
    if (input) lines.push(`  input ${input.uri}: ${input.size} bytes`);
    if (model) lines.push(`  small model ${model.name} ${model.version}: labels ${model.labels.join(', ')}`);
    if (delta) lines.push(`  delta ${delta.value} (${delta.source.kind === 'manifest' ? 'from the manifest' : `calibrated for ${delta.source.target.target}`})`);
  }
  return lines.join('\n');
}
