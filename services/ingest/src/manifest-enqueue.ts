import { manifestIdentity, manifestIngestJobId, type ManifestObject } from '@datashunt/contracts';
import { ownKeyPrefix, type Runtime } from '@datashunt/runtime';

/** How long a seen manifest is remembered; the BullMQ job id dedupes on top while the job is kept. */
const SEEN_TTL_SECONDS = 90 * 24 * 3600;

/**
 * Starts at most one run per manifest version (bucket/key + ETag), however often the sweep lists it
 * or a notification announces it. The job id dedupes while the job is kept; a Redis marker, set once
 * the job exists (a crash in between must not leave a manifest marked but never run), remembers it
 * after; and ingest asks S3 whether the version already ran. True when this call was the first.
 */
export async function enqueueManifest(runtime: Runtime, manifest: ManifestObject): Promise<boolean> {
  const marker = seenMarker(runtime, manifest);
  if (await runtime.redis.exists(marker)) return false;
  const job = await runtime.queues.add({ name: 'manifest-ingest', data: manifest, opts: { jobId: manifestIngestJobId(manifest) } });
  // Its earlier job gave up in an outage (see forgetManifest): the kept job is run again, from where the run's snapshot says.
  if (await job.isFailed()) {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    runtime.logger.info({ key: manifest.key, runId: job.data.resume?.runId }, 'manifest seen again after its ingest gave up; planning it again');
  }
  const fresh = (await runtime.redis.set(marker, new Date().toISOString(), 'EX', SEEN_TTL_SECONDS, 'NX')) === 'OK';
  if (fresh) runtime.logger.info({ bucket: manifest.bucket, key: manifest.key, etag: manifest.etag }, 'manifest accepted');
  return fresh;
}

/**
 * Called when ingest gives up on a manifest for a transient reason (an outage longer than the retry
 * window): the next sweep or notification of it starts it again instead of skipping it as seen.
 */
export async function forgetManifest(runtime: Runtime, manifest: ManifestObject): Promise<void> {
  await runtime.redis.del(seenMarker(runtime, manifest));
}

function seenMarker(runtime: Runtime, manifest: ManifestObject): string {
  return `${ownKeyPrefix(runtime.config.QUEUE_PREFIX)}manifest-seen:${manifestIdentity(manifest)}`;
}

export function isManifestKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && key.toLowerCase().endsWith('.json') && !key.slice(prefix.length).includes('/');
}
