import { z } from 'zod';

const objectIndex = z.number().int().nonnegative();
const offset = z.number().int().nonnegative();

/**
 * The part of the run's input one shard reads, planned from object sizes alone (runs/<id>/inputs.json
 * lists the objects; `object` is an index into it):
 * - bytes: an uncompressed JSONL object's lines that start in [start, end);
 * - groups: a Parquet object's row groups [start, end);
 * - whole: a small object read from its first byte (gzip'd, or CSV, whose quoted fields may hold line breaks);
 * - staged: part `part` of such an object too large for one shard, which ingest staged as shards of
 *   records (runKeys().staged), numbered from `firstRecord`.
 */
export const InputRangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bytes'), object: objectIndex, start: offset, end: offset }),
  z.object({ kind: z.literal('groups'), object: objectIndex, start: offset, end: offset }),
  z.object({ kind: z.literal('whole'), object: objectIndex }),
  z.object({ kind: z.literal('staged'), object: objectIndex, part: offset, firstRecord: z.number().int().positive() }),
]);
export type InputRange = z.infer<typeof InputRangeSchema>;
