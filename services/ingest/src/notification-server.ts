import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { headObject } from '@datashunt/storage';
import type { Runtime } from '@datashunt/runtime';
import { enqueueManifest, isManifestKey } from './manifest-enqueue.js';
import { parseNotification } from './notifications.js';
import type { WebhookAuth } from './webhook-auth.js';

const MAX_BODY = 1024 * 1024;

/**
 * POST /notifications accepts S3/MinIO/SNS/EventBridge object-created events for manifests under the
 * watched prefix, from callers that prove they hold the shared secret. Each announced object is looked
 * up with HEAD: one that does not exist starts nothing, and the run is keyed on the ETag S3 returns,
 * so the sweep and the webhook key runs the same way and a caller cannot mint runs with made-up ETags.
 */
export function createNotificationServer(runtime: Runtime, auth: WebhookAuth): Server {
  return createServer(async (req, res) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/healthz') return reply(200, { ok: true });
    if (req.method !== 'POST' || req.url !== '/notifications') return reply(404, { error: 'not found' });
    const body = await readBody(req);
    if (!body) return reply(413, { error: 'body too large' });
    if (!auth.verify(req.headers, body)) {
      runtime.logger.warn({ remote: req.socket.remoteAddress }, 'notification refused: no valid secret');
      // SNS sends the credentials of its endpoint URL only after this challenge.
      return reply(401, { error: 'unauthorized' }, { 'www-authenticate': 'Basic realm="datashunt-notifications"' });
    }
    let notification;
    try {
      notification = parseNotification(JSON.parse(body.toString('utf8')));
    } catch (error) {
      return reply(400, { error: (error as Error).message });
    }
    if (notification.subscribeUrl) {
      runtime.logger.warn({ subscribeUrl: notification.subscribeUrl }, 'SNS subscription to confirm: open this URL once to start receiving events');
    }
    const accepted: string[] = [];
    try {
      for (const o of notification.objects) {
        if (o.bucket !== runtime.bucket || !isManifestKey(o.key, runtime.config.MANIFEST_PREFIX)) continue;
        const head = await headObject(runtime.s3, o);
        if (!head) continue;
        if (await enqueueManifest(runtime, { bucket: o.bucket, key: o.key, etag: head.etag })) accepted.push(o.key);
      }
    } catch (error) {
      runtime.logger.error({ err: (error as Error).message }, 'notification handling failed');
      return reply(503, { error: 'could not enqueue; retry' });
    }
    return reply(202, { accepted });
  });
}

/** The raw body (the HMAC covers these exact bytes), or undefined past MAX_BODY. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return (server.address() as AddressInfo).port;
}
