import { checkPlannable, type ManifestIssue, type PlannableManifest } from '@datashunt/ingest';
import type { Config, Runtime } from '@datashunt/runtime';

/** What `datashunt manifest check` found: the issues ingest would refuse the manifest for, or what it would run. */
export interface ManifestCheckResult {
  valid: boolean;
  issues: ManifestIssue[];
  /** What S3 showed of a valid manifest: its input objects, the small model version (null: none registered, a large-only run) and the delta. */
  found: { inputs: Array<{ uri: string; size: number; format: string }>; model: { name: string; version: string | null; labels: string[] }; delta: string } | null;
  /** Set when S3 could not be asked: the schema and the operator's policy passed, the rest was not checked. */
  notChecked: string | null;
}

/**
 * The checks ingest makes before it plans a run (checkPlannable), made locally: the schema, the
 * operator's policy (INPUT_SCOPES, OUTPUT_PREFIXES, LLM_ENDPOINTS) and, through S3, the small model,
 * the input objects and the delta.
 */
export async function checkManifestBytes(bytes: Buffer, config: Config, s3: Runtime['s3']): Promise<ManifestCheckResult> {
  let checked;
  try {
    checked = await checkPlannable({ s3, bucket: config.S3_BUCKET, config }, bytes);
  } catch (error) {
    // Only S3 calls throw, and they come after the schema and the policy passed.
    const reason = `S3 at ${config.S3_ENDPOINT ?? `AWS (${config.S3_REGION})`} could not be read (${(error as Error).message}): the small model, the input and the delta were not checked`;
    return { valid: true, issues: [], found: null, notChecked: reason };
  }
  if (!checked.ok) return { valid: false, issues: checked.issues, found: null, notChecked: null };
  return { valid: true, issues: [], found: describe(checked), notChecked: null };
}

function describe(p: PlannableManifest): NonNullable<ManifestCheckResult['found']> {
  const { delta } = p;
  return {
    inputs: p.inputs.map((o) => ({ uri: `s3://${o.bucket}/${o.key}`, size: o.size, format: `${o.format.records}${o.format.gzip ? '.gz' : ''}` })),
    model: { name: p.manifest.smallModel.name, version: p.model?.version ?? null, labels: p.manifest.task.labels },
    delta:
      'guarantee' in delta
        ? 'a guarantee target: the run chooses its threshold in its sampling phase'
        : `${delta.delta} (${delta.source.kind === 'manifest' ? 'from the manifest' : `calibrated for ${delta.source.target.target}`})`,
  };
}

/** The check as lines for a person: the verdict, then each issue (or what was found) on its own line. */
export function formatManifestCheck(file: string, result: ManifestCheckResult): string {
  const lines = [`${file}: ${result.valid ? 'valid' : `invalid (${result.issues.length} ${result.issues.length === 1 ? 'issue' : 'issues'})`}`];
  for (const issue of result.issues) lines.push(`  ${issue.path || '(manifest)'}: ${issue.message}`);
  if (result.notChecked) lines.push(`  not checked: ${result.notChecked}`);
  const found = result.found;
  if (found) {
    const bytes = found.inputs.reduce((sum, i) => sum + i.size, 0);
    lines.push(found.inputs.length === 1 ? `  input ${found.inputs[0]!.uri}: ${bytes} bytes, ${found.inputs[0]!.format}` : `  input: ${found.inputs.length} objects, ${bytes} bytes`);
    const model = found.model.version === null ? `${found.model.name} not registered (a large-only run goes without one; its rows are not scored)` : `${found.model.name} ${found.model.version}`;
    lines.push(`  small model ${model}: labels ${found.model.labels.join(', ')}`);
    lines.push(`  delta ${found.delta}`);
  }
  return lines.join('\n');
}
