import type { S3Client } from '@aws-sdk/client-s3';
import type { InputRange } from '@datashunt/contracts';
import { gunzipChunks, readCsvRecords, readJsonlRecords, readParquetLayout, readParquetRecords, type InputRecord } from '@datashunt/formats';
import { getStream, objectByteRanges } from '@datashunt/storage';
import type { InputObject } from './records.js';

/** No byte range smaller than this: below it, a shard's fixed costs (jobs, objects) outweigh its rows. */
export const MIN_RANGE_BYTES = 16 * 1024;
const LF = 0x0a;

/**
 * A run's shards from object sizes alone (no row is read): an uncompressed JSONL object is cut into
 * byte ranges of about `shardSize` lines (by the bytes per line sampled from its first bytes), a
 * Parquet object into runs of whole row groups of about `shardSize` rows, and any other object (gzip'd,
 * or CSV, whose quoted fields may hold line breaks) is one shard read from its first byte. Every object
 * gives at least one range, so an empty input still plans one (empty) shard.
 */
export function planRanges(objects: InputObject[], shardSize: number): InputRange[] {
  const ranges: InputRange[] = [];
  objects.forEach((o, object) => {
    if (o.format.records === 'jsonl' && !o.format.gzip && o.size > 0) {
      const step = Math.max(MIN_RANGE_BYTES, Math.round(shardSize * (o.bytesPerLine ?? o.size)));
      for (let start = 0; start < o.size; start += step) ranges.push({ kind: 'bytes', object, start, end: Math.min(o.size, start + step) });
    } else if (o.format.records === 'parquet' && o.rowGroups?.length) {
      let start = 0;
      let rows = 0;
      o.rowGroups.forEach((groupRows, group) => {
        rows += groupRows;
        if (rows >= shardSize || group === o.rowGroups!.length - 1) {
          ranges.push({ kind: 'groups', object, start, end: group + 1 });
          start = group + 1;
          rows = 0;
        }
      });
    } else ranges.push({ kind: 'whole', object });
  });
  return ranges;
}

/** Bytes per line over a sample of an object's first bytes; undefined when not one line ends there. */
export function sampledBytesPerLine(firstBytes: Buffer): number | undefined {
  const last = firstBytes.lastIndexOf(LF);
  if (last === -1) return undefined;
  let lines = 0;
  for (let i = firstBytes.indexOf(LF); i !== -1 && i <= last; i = firstBytes.indexOf(LF, i + 1)) lines += 1;
  return (last + 1) / lines;
}

/**
 * The records of one range, streamed and numbered from 1 at the range's first line (or record): a
 * byte range with ranged GETs of just its lines, a row-group range with ranged reads of just its
 * groups and `columns`, a whole object from its first byte (inflated first when gzip'd).
 */
export async function* readRangeRecords(s3: S3Client, object: InputObject, range: InputRange, columns: string[]): AsyncGenerator<InputRecord> {
  if (object.format.records === 'parquet') {
    const file = objectByteRanges(s3, object, object.size);
    const layout = await readParquetLayout(file);
    const groups = range.kind === 'groups' ? { from: range.start, to: range.end } : undefined;
    yield* readParquetRecords(file, layout, columns.filter((c) => layout.columns.includes(c)), groups);
    return;
  }
  if (range.kind === 'bytes') {
    // From the byte before the range: it says whether a line starts right at `start`.
    const from = Math.max(0, range.start - 1);
    yield* readJsonlRecords(ownedLines(await getStream(s3, object, from), from, range.start, range.end));
    return;
  }
  const stream = await getStream(s3, object);
  const bytes = object.format.gzip ? gunzipChunks(stream) : stream;
  yield* object.format.records === 'csv' ? readCsvRecords(bytes) : readJsonlRecords(bytes);
}

/**
 * The bytes of the lines that start in [start, end) of a stream that begins at byte `from`: a range
 * not at the object's start skips the line already under way (its owner is the range before), and
 * reads past `end` to finish its last line. Ranges that tile an object so give each line once.
 */
export async function* ownedLines(chunks: AsyncIterable<Uint8Array>, from: number, start: number, end: number): AsyncGenerator<Buffer> {
  // The offset of the chunk's first byte, and whether a line begins there.
  let position = from;
  let skipping = start > 0;
  let atLineStart = !skipping;
  for await (const chunk of chunks) {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (skipping) {
      // Our first line starts after the first newline at or after start - 1.
      const newline = bytes.indexOf(LF, Math.max(0, start - 1 - position));
      if (newline === -1) {
        position += bytes.length;
        continue;
      }
      skipping = false;
      atLineStart = true;
      position += newline + 1;
      bytes = bytes.subarray(newline + 1);
    }
    if (!bytes.length) continue;
    if (position >= end && atLineStart) return;
    // Bytes before `end` may start lines of ours; the line under way at `end` is ours to finish.
    const newline = bytes.indexOf(LF, Math.max(0, end - position - 1));
    if (newline !== -1) {
      yield bytes.subarray(0, newline + 1);
      return;
    }
    position += bytes.length;
    atLineStart = false;
    yield bytes;
  }
}
