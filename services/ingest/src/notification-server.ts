import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { headObject } from '@datashunt/storage';
import type { Runtime } from '@datashunt/runtime';
import { enqueueManifest, isManifestKey } from './manifest-enqueue.js';
import { createdObjects } from './notifications.js';

const MAX_BODY = 1024 * 1024;

/**
 * POST /notifications accepts S3/MinIO object-created events for manifests under the watched prefix.
 * The ETag is taken from S3 itself when the event lacks one, so both paths key runs the same way.
 */
export function createNotificationServer(runtime: Runtime): Server {
  return createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/healthz') return reply(200, { ok: true });
    if (req.method !== 'POST' || req.url !== '/notifications') return reply(404, { error: 'not found' });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return reply(413, { error: 'body too large' });
      chunks.push(chunk as Buffer);
    }
    let objects;
    try {
      objects = createdObjects(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (error) {
      return reply(400, { error: (error as Error).message });
    }
    const accepted: string[] = [];
    try {
      for (const o of objects) {
        if (o.bucket !== runtime.bucket || !isManifestKey(o.key, runtime.config.MANIFEST_PREFIX)) continue;
        const etag = o.etag ?? (await headObject(runtime.s3, o))?.etag;
        if (!etag) continue;
        if (await enqueueManifest(runtime, { bucket: o.bucket, key: o.key, etag })) accepted.push(o.key);
      }
    } catch (error) {
      runtime.logger.error({ err: (error as Error).message }, 'notification handling failed');
      return reply(503, { error: 'could not enqueue; retry' });
    }
    return reply(202, { accepted });
  });
}

export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
  return (server.address() as AddressInfo).port;
}
