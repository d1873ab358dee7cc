import { listObjects } from '@datashunt/storage';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import { enqueueManifest, isManifestKey } from '../manifest-enqueue.js';

/** The periodic sweep: lists the watched prefix and enqueues manifests not seen before. */
export function manifestSweepHandler(runtime: Runtime) {
  return defineHandler({
    name: 'manifest-sweep',
    async handle(payload) {
      const prefix = payload.prefix ?? runtime.config.MANIFEST_PREFIX;
      let listed = 0;
      let started = 0;
      for await (const object of listObjects(runtime.s3, runtime.bucket, prefix)) {
        if (!isManifestKey(object.key, prefix)) continue;
        listed += 1;
        if (await enqueueManifest(runtime, { bucket: runtime.bucket, key: object.key, etag: object.etag })) started += 1;
      }
      return { listed, started };
    },
  });
}
