import type { S3Client } from '@aws-sdk/client-s3';
import { getStream, type ObjectRef } from './objects.js';
import { ObjectWriter } from './object-writer.js';
import { splitLines, type PhysicalLine } from './lines.js';

/**
 * Streams every physical line of an object (blank ones included) without holding the object in
 * memory: for user input, where each line must end as a result or a reject with its own number.
 */
export async function* readLines(s3: S3Client, ref: ObjectRef): AsyncGenerator<PhysicalLine> {
  yield* splitLines(await getStream(s3, ref));
}

/** Streams parsed JSON records of an object that this system wrote itself (so every line is valid). */
export async function* readJsonl<T>(s3: S3Client, ref: ObjectRef): AsyncGenerator<T> {
  for await (const { text } of readLines(s3, ref)) yield JSON.parse(text) as T;
}

export async function readAllJsonl<T>(s3: S3Client, ref: ObjectRef): Promise<T[]> {
  const out: T[] = [];
  for await (const record of readJsonl<T>(s3, ref)) out.push(record);
  return out;
}

/** A JSONL object written as a stream (see ObjectWriter). Await `close()` to finish the object. */
export class JsonlWriter extends ObjectWriter {
  /** Records written with write(); raw chunks are not counted. */
  count = 0;

  constructor(s3: S3Client, ref: ObjectRef) {
    super(s3, ref, 'application/x-ndjson');
  }

  /** Resolves once the stream accepts more data, so a fast producer cannot outrun the upload. */
  async write(record: unknown): Promise<void> {
    this.count += 1;
    await this.writeRaw(`${JSON.stringify(record)}\n`);
  }
}

/** Writes a whole small JSONL object in one request (shard-sized batches). */
export function toJsonl(records: Iterable<unknown>): string {
  let out = '';
  for (const record of records) out += `${JSON.stringify(record)}\n`;
  return out;
}
