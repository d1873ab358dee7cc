import { createHash } from 'node:crypto';
import { manifestBaseName } from './keys.js';
import { jobId } from './queues.js';

/** A manifest object as S3 announced it: one version of it, named by its ETag. */
export interface ManifestObject {
  bucket: string;
  key: string;
  etag: string;
}

/** One manifest version (bucket/key + ETag): the unit that runs at most once. */
export function manifestIdentity(m: ManifestObject): string {
  return createHash('sha256').update(`${m.bucket}/${m.key}#${m.etag}`).digest('hex').slice(0, 16);
}

/**
 * The run a manifest version starts: its name (or the file's) and the version's identity. Ingest and
 * the CLI compute it alike, so `submit` can tell that a manifest version already ran.
 */
export function runIdOf(manifestName: string | undefined, object: ManifestObject): string {
  return `${manifestName ?? manifestBaseName(object.key)}-${manifestIdentity(object).slice(0, 8)}`;
}

/** The id of the ingest job that plans a manifest version's run: one per version, so it runs once. */
export function manifestIngestJobId(m: ManifestObject): string {
  return jobId('manifest-ingest', manifestIdentity(m));
}
