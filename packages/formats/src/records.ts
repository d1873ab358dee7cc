/** Where a record sits in its object: what a reject names. */
export interface RecordPosition {
  /** 1-based: the physical line (JSONL), the data record after the header (CSV), or the row (Parquet). */
  number: number;
  /** CSV only: the physical line the record starts on (a quoted field may span lines). */
  line?: number;
}

/**
 * One record of an input object: its value (a parsed JSON line, a CSV record keyed by header, a
 * Parquet row), or why it could not be read. Every physical line (JSONL) or record (CSV, Parquet)
 * gives exactly one, so every one of them can end as a result or a reject.
 */
export type InputRecord = RecordPosition &
  (
    | { value: unknown; problem?: undefined; /** JSONL: the line as it came (for excerpts, and stored as is when valid). */ text?: string }
    | { problem: string; value?: undefined; text?: string }
  );

export type RecordFormat = 'jsonl' | 'csv' | 'parquet';

/** "line 7", "record 3 (starts on line 5)", "row 12". */
export function describePosition(format: RecordFormat, position: RecordPosition): string {
  if (format === 'jsonl') return `line ${position.number}`;
  if (format === 'parquet') return `row ${position.number}`;
  return position.line === undefined ? `record ${position.number}` : `record ${position.number} (starts on line ${position.line})`;
}

/**
 * The data itself is broken past some point (gzip cut short, a Parquet page that does not decode):
 * what remains becomes rejects, where an error of the source (S3, network) is thrown to be retried.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}
