import { manifestIdentity, manifestIngestJobId, type ManifestObject } from '@datashunt/contracts';
import type { Runtime } from '@datashunt/runtime';

/** How long a seen manifest is remembered; the BullMQ job id dedupes on top while the job is kept. */
const SEEN_TTL_SECONDS = 90 * 24 * 3600;

/**
 * Starts at most one run per manifest version (bucket/key + ETag), however often the sweep lists it
 * or a notification announces it. The job id dedupes while the job is kept; a Redis marker, set once
 * the job exists (a crash in between must not leave a manifest marked but never run), remembers it
 * after; and ingest asks S3 whether the version already ran. True when this call was the first.
 */
export async function enqueueManifest(runtime: Runtime, manifest: ManifestObject): Promise<boolean> {
  const identity = manifestIdentity(manifest);
  const marker = `${runtime.config.QUEUE_PREFIX}:manifest-seen:${identity}`;
  if (await runtime.redis.exists(marker)) return false;
  await runtime.queues.add({ name: 'manifest-ingest', data: manifest, opts: { jobId: manifestIngestJobId(manifest) } });
  const fresh = (await runtime.redis.set(marker, new Date().toISOString(), 'EX', SEEN_TTL_SECONDS, 'NX')) === 'OK';
  if (fresh) runtime.logger.info({ bucket: manifest.bucket, key: manifest.key, etag: manifest.etag }, 'manifest accepted');
  return fresh;
}

export function isManifestKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && key.toLowerCase().endsWith('.json') && !key.slice(prefix.length).includes('/');
}
