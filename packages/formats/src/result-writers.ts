import type { ResultRecord } from '@datashunt/contracts';
import { stringify } from 'csv-stringify/sync';
import { ByteWriter, parquetWriteRows } from 'hyparquet-writer';
import { resultTableColumns, type ResultTableSpec, type TableColumn, type TableValue } from './result-table.js';

/** Where a writer's bytes go (a streamed S3 upload, a file); write resolves when more may follow. */
export interface ByteSink {
  write(chunk: Uint8Array | string): Promise<void>;
}

const CSV_BATCH = 1_000;

/** results.csv: a header, then one record per result, written in batches as the results stream by. */
export async function writeResultsCsv(results: AsyncIterable<ResultRecord>, spec: ResultTableSpec, sink: ByteSink): Promise<number> {
  const columns = resultTableColumns(spec);
  const options = { cast: { boolean: (value: boolean) => String(value) } };
  await sink.write(stringify([columns.map((c) => c.name)], options));
  let batch: TableValue[][] = [];
  let count = 0;
  for await (const result of results) {
    batch.push(columns.map((c) => c.value(result)));
    count += 1;
    if (batch.length === CSV_BATCH) {
      await sink.write(stringify(batch, options));
      batch = [];
    }
  }
  if (batch.length) await sink.write(stringify(batch, options));
  return count;
}

/**
 * results.parquet, one row group per `rowGroupSize` results: only that group is held, and its bytes
 * go to the sink after each group (ParquetWriter calls flush), then the footer at the end.
 */
export async function writeResultsParquet(results: AsyncIterable<ResultRecord>, spec: ResultTableSpec, sink: ByteSink, rowGroupSize = 50_000): Promise<number> {
  const columns = resultTableColumns(spec);
  let count = 0;
  async function* rows() {
    for await (const result of results) {
      count += 1;
      yield parquetRow(columns, result);
    }
  }
  await parquetWriteRows({
    writer: new SinkWriter(sink),
    rows: rows(),
    columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.type !== 'INT64' })),
    rowGroupSize,
  });
  return count;
}

function parquetRow(columns: TableColumn[], result: ResultRecord): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of columns) {
    const value = column.value(result);
    row[column.name] = column.type === 'INT64' ? BigInt(value as number) : value;
  }
  return row;
}

/** hyparquet-writer's growable buffer, emptied into the sink whenever the writer flushes. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }

  async flush(): Promise<void> {
    // A copy: the buffer is reused for the next row group while the sink may still hold the bytes.
    const bytes = this.getBytes().slice();
    this.index = 0;
    await this.sink.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}
