import { ManifestSchema, type Manifest } from '@datashunt/contracts';

export type ManifestCheck =
  | { ok: true; manifest: Manifest }
  | { ok: false; message: string; issues: Array<{ path: string; message: string }> };

/** Parses and validates a manifest's bytes, naming the field path of every problem. */
export function checkManifest(bytes: Buffer): ManifestCheck {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, message: 'manifest is not valid JSON', issues: [{ path: '', message: (error as Error).message }] };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (parsed.success) return { ok: true, manifest: parsed.data };
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  return { ok: false, message: `invalid manifest: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues };
}
