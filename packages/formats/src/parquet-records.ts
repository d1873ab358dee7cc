import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { FormatError, type InputRecord } from './records.js';

/** Random-access bytes of an object (hyparquet's AsyncBuffer): ranged GETs on S3, a file locally. */
export type ByteRanges = AsyncBuffer;

/** A Parquet object's footer: its top-level column names, and the metadata its rows are read by. */
export interface ParquetLayout {
  columns: string[];
  rows: number;
  metadata: FileMetaData;
}

/** Reads the footer; a file that is not readable Parquet is a FormatError. */
export async function readParquetLayout(file: ByteRanges): Promise<ParquetLayout> {
  const sourceErrors = new WeakSet<object>();
  const tracked = trackSourceErrors(file, sourceErrors);
  try {
    const metadata = await parquetMetadataAsync(tracked);
    return { columns: parquetSchema(metadata).children.map((c) => c.element.name), rows: Number(metadata.num_rows), metadata };
  } catch (error) {
    if (sourceErrors.has(error as object)) throw error;
    throw new FormatError(`not a readable Parquet file (${(error as Error).message})`);
  }
}

/**
 * The rows of a Parquet object, one row group at a time (the only unit Parquet lets one decode), and
 * only the columns asked for: a Parquet row is a record. Strings stay strings and unannotated byte
 * arrays stay bytes (image columns). Every codec hyparquet-compressors knows is read (snappy, gzip,
 * zstd, brotli, lz4). A row group that does not decode becomes one problem record per row, and the
 * next group is read; errors of the source are thrown. `groups` reads only row groups [from, to), its
 * records numbered from 1 at the first of them.
 */
export async function* readParquetRecords(file: ByteRanges, layout: ParquetLayout, columns: string[], groups?: { from: number; to: number }): AsyncGenerator<InputRecord> {
  const sourceErrors = new WeakSet<object>();
  const tracked = trackSourceErrors(file, sourceErrors);
  const all = layout.metadata.row_groups;
  const from = groups?.from ?? 0;
  let groupStart = all.slice(0, from).reduce((sum, g) => sum + Number(g.num_rows), 0);
  const firstRow = groupStart;
  for (let index = from; index < (groups?.to ?? all.length); index++) {
    const groupEnd = groupStart + Number(all[index]!.num_rows);
    let rows: Record<string, unknown>[] | undefined;
    let problem: string | undefined;
    try {
      rows = await parquetReadObjects({ file: tracked, metadata: layout.metadata, rowStart: groupStart, rowEnd: groupEnd, columns, compressors, utf8: false });
    } catch (error) {
      if (sourceErrors.has(error as object)) throw error;
      problem = `row group ${index + 1} cannot be decoded (${(error as Error).message})`;
    }
    for (let i = 0; i < groupEnd - groupStart; i++) {
      const number = groupStart - firstRow + i + 1;
      yield rows ? { number, value: rows[i] } : { number, problem: problem! };
    }
    groupStart = groupEnd;
  }
}

/** Marks errors that come from reading the bytes, so they are told apart from errors in the data. */
function trackSourceErrors(file: ByteRanges, errors: WeakSet<object>): ByteRanges {
  return {
    byteLength: file.byteLength,
    slice: async (start, end) => {
      try {
        return await file.slice(start, end);
      } catch (error) {
        if (typeof error === 'object' && error !== null) errors.add(error);
        throw error;
      }
    },
  };
}
