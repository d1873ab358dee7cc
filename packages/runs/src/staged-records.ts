import type { InputRecord } from '@datashunt/formats';

/** A record of an object staged by ingest, as stored: its number in the object, and its text (JSONL), value (CSV) or problem. */
interface StagedRecord {
  n: number;
  /** CSV: the physical line the record starts on. */
  l?: number;
  t?: string;
  v?: unknown;
  p?: string;
}

/** One line of a staged shard. A JSONL record keeps only its text (parsed again when read); others their value. */
export function stagedLine(record: InputRecord): string {
  const staged: StagedRecord = { n: record.number };
  if (record.line !== undefined) staged.l = record.line;
  if (record.problem !== undefined) staged.p = record.problem;
  if (record.text !== undefined) staged.t = record.text;
  else if (record.problem === undefined) staged.v = record.value;
  return JSON.stringify(staged);
}

/** A staged record as the scorer reads it, numbered from 1 at the staged shard's first record. */
export function stagedRecord(line: string, firstRecord: number): InputRecord {
  const staged = JSON.parse(line) as StagedRecord;
  const position = { number: staged.n - firstRecord + 1, ...(staged.l === undefined ? {} : { line: staged.l }) };
  const text = staged.t === undefined ? {} : { text: staged.t };
  if (staged.p !== undefined) return { ...position, ...text, problem: staged.p };
  return { ...position, ...text, value: staged.t === undefined ? staged.v : JSON.parse(staged.t) };
}
