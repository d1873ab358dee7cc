import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

export interface ObjectRef {
  bucket: string;
  key: string;
}

export interface ListedObject {
  key: string;
  etag: string;
  size: number;
}

export function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** The object's bytes as a stream, from `fromByte` on when given (one open-ended ranged GET). */
export async function getStream(s3: S3Client, ref: ObjectRef, fromByte = 0): Promise<Readable> {
  const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(fromByte > 0 ? { Range: `bytes=${fromByte}-` } : {}) }));
  if (!out.Body) throw new Error(`s3://${ref.bucket}/${ref.key} has no body`);
  return out.Body as Readable;
}

export async function getBytes(s3: S3Client, ref: ObjectRef): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  if (!out.Body) throw new Error(`s3://${ref.bucket}/${ref.key} has no body`);
  return Buffer.from(await out.Body.transformToByteArray());
}

/** The first `count` bytes of an object (fewer when it is shorter), with one ranged request. */
export function getFirstBytes(s3: S3Client, ref: ObjectRef, count: number): Promise<Buffer> {
  return getRange(s3, ref, 0, count);
}

/** Bytes [start, end) of an object (fewer past its end), with one ranged request. */
export async function getRange(s3: S3Client, ref: ObjectRef, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${start}-${end - 1}` }));
  if (!out.Body) return Buffer.alloc(0);
  return Buffer.from(await out.Body.transformToByteArray()).subarray(0, end - start);
}

/**
 * An object as random-access bytes (the shape of hyparquet's AsyncBuffer): each slice is one ranged
 * GET, so a columnar reader fetches the footer and the column chunks it needs, never the whole object.
 */
export function objectByteRanges(s3: S3Client, ref: ObjectRef, size: number): { byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> } {
  return {
    byteLength: size,
    async slice(start, end = size) {
      const bytes = await getRange(s3, ref, start, end);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

export async function getJson<T = unknown>(s3: S3Client, ref: ObjectRef): Promise<T> {
  return JSON.parse((await getBytes(s3, ref)).toString('utf8')) as T;
}

/** Like getJson, but a missing object is `undefined` rather than an error. */
export async function getJsonIfExists<T = unknown>(s3: S3Client, ref: ObjectRef): Promise<T | undefined> {
  try {
    return await getJson<T>(s3, ref);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function putBytes(s3: S3Client, ref: ObjectRef, body: Buffer | string, contentType?: string): Promise<void> {
  // An explicit length: without it the SDK takes an empty body for a stream of unknown length.
  await s3.send(
    new PutObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      Body: body,
      ContentLength: Buffer.byteLength(body),
      ...(contentType ? { ContentType: contentType } : {}),
    }),
  );
}

export async function putJson(s3: S3Client, ref: ObjectRef, value: unknown): Promise<void> {
  await putBytes(s3, ref, JSON.stringify(value, null, 2), 'application/json');
}

export async function headObject(s3: S3Client, ref: ObjectRef): Promise<{ etag: string; size: number } | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return { etag: stripQuotes(out.ETag ?? ''), size: out.ContentLength ?? 0 };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function deleteObject(s3: S3Client, ref: ObjectRef): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
}

export async function* listObjects(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const item of page.Contents ?? []) {
      if (item.Key) yield { key: item.Key, etag: stripQuotes(item.ETag ?? ''), size: item.Size ?? 0 };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The "folders" directly under `prefix` (a delimiter listing): their full prefixes, ending in '/'. */
export async function* listPrefixes(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const common of page.CommonPrefixes ?? []) if (common.Prefix) yield common.Prefix;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
