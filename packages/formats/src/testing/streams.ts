import type { InputRecord } from '../records.js';

/** Test helpers: bytes as a stream of small chunks, and a stream of records as an array. */
export async function* chunksOf(bytes: Buffer | string, size: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.from(bytes);
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

export async function collect<T = InputRecord>(records: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of records) out.push(r);
  return out;
}
