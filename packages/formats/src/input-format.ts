import type { InputFormat } from '@datashunt/contracts';
import { detectCompressedOrBinary, SNIFF_BYTES } from '@datashunt/storage';
import { gunzipPrefix, isGzip } from './gzip.js';
import type { RecordFormat } from './records.js';

/** How one object is read: its record format, and whether its bytes are gzip'd first. */
export interface ObjectFormat {
  records: RecordFormat;
  gzip: boolean;
}

/** How many leading bytes resolveObjectFormat wants: enough gzip'd bytes to inflate to SNIFF_BYTES of text. */
export const FORMAT_SNIFF_BYTES = 4096;

// Longest suffix first, so "x.jsonl.gz" is not taken for ".gz" alone.
const EXTENSIONS: Array<[suffix: string, format: InputFormat]> = [
  ['.jsonl.gz', 'jsonl.gz'],
  ['.ndjson.gz', 'jsonl.gz'],
  ['.csv.gz', 'csv.gz'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.csv', 'csv'],
  ['.parquet', 'parquet'],
  ['.pq', 'parquet'],
];

/** The format an object's name gives, if it gives one. */
export function formatFromKey(key: string): InputFormat | undefined {
  const lower = key.toLowerCase();
  return EXTENSIONS.find(([suffix]) => lower.endsWith(suffix))?.[1];
}

function isParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

/** A refusal says whether it contradicts the manifest's input.format (rather than being about the bytes alone). */
export type FormatCheck = { ok: true; format: ObjectFormat } | { ok: false; problem: string; contradictsDeclared?: true };

/**
 * An object's format: the manifest's, else its name's, else JSONL, or Parquet when its bytes start
 * with Parquet's magic number. Gzip is recognised by its magic bytes whatever the name says, and
 * inflated; what is inside must then look like UTF-8 text. A declaration the bytes contradict, and
 * binary content, are refused with the reason.
 */
export function resolveObjectFormat(key: string, declared: InputFormat | undefined, head: Buffer): FormatCheck {
  const named = declared ?? formatFromKey(key);
  const saidBy = declared ? `input.format is "${declared}"` : `its name says ${named}`;
  const contradiction = (problem: string): FormatCheck => ({ ok: false, problem, ...(declared ? { contradictsDeclared: true as const } : {}) });
  if (named === 'parquet') {
    return isParquet(head) ? { ok: true, format: { records: 'parquet', gzip: false } } : contradiction(`${saidBy}, but it is not a Parquet file (it does not start with "PAR1")`);
  }
  if (isParquet(head)) {
    if (named === undefined) return { ok: true, format: { records: 'parquet', gzip: false } };
    return contradiction(`it is a Parquet file, but ${saidBy}; set input.format to "parquet"`);
  }
  const records: RecordFormat = named?.startsWith('csv') ? 'csv' : 'jsonl';
  if (!isGzip(head)) {
    const binary = detectCompressedOrBinary(head.subarray(0, SNIFF_BYTES));
    return binary ? { ok: false, problem: binary } : { ok: true, format: { records, gzip: false } };
  }
  let text: Buffer;
  try {
    text = gunzipPrefix(head);
  } catch (error) {
    return { ok: false, problem: `it starts like gzip (bytes 1f 8b) but does not inflate: ${(error as Error).message}` };
  }
  const binary = detectCompressedOrBinary(text.subarray(0, SNIFF_BYTES));
  return binary ? { ok: false, problem: `${binary} (inside its gzip compression)` } : { ok: true, format: { records, gzip: true } };
}
