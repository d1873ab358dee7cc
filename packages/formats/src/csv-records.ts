import { Readable } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import { FormatError, type InputRecord } from './records.js';

/** A record longer than this (characters) is a reject, not a reason to buffer the rest of the file. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;

const PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_MAX_RECORD_SIZE: `the record is longer than ${MAX_RECORD_CHARS} characters`,
};

/** One parsed record in file order: seq 0 is the header. */
interface Parsed {
  seq: number;
  fields?: string[];
  problem?: string;
  /** The physical line the record ends on. */
  endLine: number;
}

/**
 * CSV (RFC 4180: quoted fields may hold delimiters, quotes and newlines) with a header record that
 * names the columns. Each data record becomes its fields keyed by column name; a blank line, a record
 * with another number of fields than the header, or one the parser gives up on becomes a record with
 * its problem, never a shifted numbering. Records end at `\n` or `\r\n`. The problems name what is
 * wrong, never the field contents (excerpts are the caller's choice).
 */
export async function* readCsvRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<InputRecord> {
  let header: string[] | undefined;
  let previousEnd = 0;
  let last = 0;
  try {
    for await (const parsed of parseCsv(chunks)) {
      const line = previousEnd + 1;
      previousEnd = parsed.endLine;
      if (parsed.seq === 0) {
        if (!parsed.fields) throw new FormatError(`the CSV header cannot be read: ${parsed.problem}`);
        header = parsed.fields;
        continue;
      }
      last = parsed.seq;
      yield toRecord(parsed, line, header!);
    }
  } catch (error) {
    if (!(error instanceof FormatError) || header === undefined) throw error;
    yield { number: last + 1, problem: `${error.message}: nothing from here on could be read` };
  }
}

/** The column names of a CSV object: its first record. Reads no further than that. */
export async function readCsvHeader(chunks: AsyncIterable<Uint8Array>): Promise<string[] | undefined> {
  for await (const parsed of parseCsv(chunks)) {
    if (!parsed.fields) throw new FormatError(`the CSV header cannot be read: ${parsed.problem}`);
    return parsed.fields;
  }
  return undefined;
}

function toRecord(parsed: Parsed, line: number, header: string[]): InputRecord {
  const number = parsed.seq;
  const fields = parsed.fields;
  if (!fields) return { number, line, problem: `not valid CSV: ${parsed.problem}` };
  if (fields.length === 1 && fields[0]!.trim() === '') return { number, line, problem: 'blank line' };
  if (fields.length !== header.length) return { number, line, problem: `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the header has ${header.length}` };
  const value: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) value[header[i]!] = fields[i]!;
  return { number, line, value };
}

/**
 * csv-parse's records in order, the ones it skipped for an error among them. Both callbacks run in
 * file order as the parser goes, so a sequence number taken in each puts the skipped ones back in place.
 */
async function* parseCsv(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Parsed> {
  let seq = 0;
  const skipped: Parsed[] = [];
  const options: Options<Parsed, string[]> = {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: MAX_RECORD_CHARS,
    skip_records_with_error: true,
    on_record: (fields: string[], context) => ({ seq: seq++, fields, endLine: context.lines }),
    on_skip: (error: CsvError | undefined) => {
      skipped.push({ seq: seq++, problem: PROBLEMS[error?.code ?? ''] ?? error?.code ?? 'unreadable record', endLine: parser.info.lines });
    },
  };
  // The typings know on_record only as a map from a record to a record of the same shape.
  const parser = parse(options as unknown as Options);
  const source = Readable.from(chunks, { objectMode: false });
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const parsed of parser as AsyncIterable<Parsed>) {
      while (skipped.length && skipped[0]!.seq < parsed.seq) yield skipped.shift()!;
      yield parsed;
    }
    while (skipped.length) yield skipped.shift()!;
  } finally {
    source.destroy();
    parser.destroy();
  }
}
