import { z } from 'zod';

/** The part of an S3 / MinIO event notification this service reads. */
const NotificationSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), eTag: z.string().optional() }),
      }),
    }),
  ),
});

export interface CreatedObject {
  bucket: string;
  key: string;
  etag: string | undefined;
}

/** Object-created records of a notification body; keys arrive URL-encoded with '+' for spaces. */
export function createdObjects(body: unknown): CreatedObject[] {
  const parsed = NotificationSchema.safeParse(body);
  if (!parsed.success) throw new Error(`not an S3 event notification: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
  return parsed.data.Records.filter((r) => /(^|:)ObjectCreated:/.test(r.eventName)).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
    etag: r.s3.object.eTag?.replace(/^"|"$/g, ''),
  }));
}
