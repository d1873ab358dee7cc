import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import type { ObjectRef } from './objects.js';

/**
 * An object written as a stream (multipart upload underneath), so a writer of a million records
 * holds one part in memory, not the file. Await `close()` to finish the object.
 */
export class ObjectWriter {
  private readonly stream = new PassThrough();
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;

  constructor(s3: S3Client, ref: ObjectRef, contentType: string) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: ref.bucket, Key: ref.key, Body: this.stream, ContentType: contentType },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
    });
    this.done = this.upload.done();
    // Surface upload errors at close(), not as an unhandled rejection in between.
    this.done.catch(() => undefined);
  }

  /** Appends bytes; resolves once the stream accepts more, so a fast producer cannot outrun the upload. */
  async writeRaw(chunk: Buffer | Uint8Array | string): Promise<void> {
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  async close(): Promise<void> {
    this.stream.end();
    await this.done;
  }

  /**
   * Gives the object up: the parts uploaded so far are dropped. Best effort (S3 may be what failed): an
   * upload left behind is removed by the bucket's rule for incomplete multipart uploads.
   */
  async abort(): Promise<void> {
    this.stream.destroy();
    await this.upload.abort().catch(() => undefined);
  }
}
