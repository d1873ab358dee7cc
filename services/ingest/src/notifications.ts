import { z } from 'zod';

/**
 * An object a notification announces. The caller's ETag is deliberately not read: the run is keyed on
 * the ETag S3 itself returns for the object.
 */
export interface AnnouncedObject {
  bucket: string;
  key: string;
}

export interface Notification {
  objects: AnnouncedObject[];
  /** An SNS subscription to confirm by hand: the service logs this URL and never fetches it. */
  subscribeUrl?: string;
}

/** S3 and MinIO event records (MinIO adds top-level fields this ignores). */
const S3Records = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
    }),
  ),
});
/** What S3 sends once when a notification target is configured. */
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });
const SnsNotification = z.object({ Type: z.literal('Notification'), Message: z.string() });
const SnsSubscription = z.object({ Type: z.literal('SubscriptionConfirmation'), SubscribeURL: z.string() });
const EventBridgeEvent = z.object({
  'detail-type': z.string(),
  detail: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
});

/**
 * The objects created according to a notification body, recognised by shape: S3/MinIO records, the
 * same wrapped by SNS (its Message is the records as a JSON string), or an S3 event on EventBridge.
 */
export function parseNotification(body: unknown): Notification {
  const subscription = SnsSubscription.safeParse(body);
  if (subscription.success) return { objects: [], subscribeUrl: subscription.data.SubscribeURL };
  const sns = SnsNotification.safeParse(body);
  if (sns.success) return { objects: s3EventObjects(parseJson(sns.data.Message, 'the SNS Message')) };
  const eventBridge = EventBridgeEvent.safeParse(body);
  if (eventBridge.success) {
    const { 'detail-type': type, detail } = eventBridge.data;
    // EventBridge carries keys as they are, not URL-encoded like S3's own records.
    return { objects: type === 'Object Created' ? [{ bucket: detail.bucket.name, key: detail.object.key }] : [] };
  }
  return { objects: s3EventObjects(body) };
}

/** Object-created records of an S3/MinIO event; keys arrive URL-encoded with '+' for spaces. */
function s3EventObjects(body: unknown): AnnouncedObject[] {
  if (S3TestEvent.safeParse(body).success) return [];
  const parsed = S3Records.safeParse(body);
  if (!parsed.success) throw new Error(`not an S3, SNS or EventBridge event notification: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
  return parsed.data.Records.filter((r) => /(^|:)ObjectCreated:/.test(r.eventName)).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
  }));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}
