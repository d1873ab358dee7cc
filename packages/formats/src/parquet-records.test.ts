import { parquetWriteBuffer } from 'hyparquet-writer';
import { FormatError } from './records.js';
import { readParquetLayout, readParquetRecords, type ByteRanges } from './parquet-records.js';
import { collect } from './testing/streams.js';

function bytesOf(buffer: ArrayBuffer): ByteRanges {
  return { byteLength: buffer.byteLength, slice: async (start, end) => buffer.slice(start, end) };
}

const file = parquetWriteBuffer({
  columnData: [
    { name: 'ticket', data: [1n, 2n, 3n, 4n, 5n, 6n, 7n], type: 'INT64' },
    { name: 'body', data: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], type: 'STRING' },
    { name: 'category', data: ['ham', null, 'spam', 'ham', 'spam', 'ham', 'ham'], type: 'STRING' },
    { name: 'png', data: Array.from({ length: 7 }, (_, i) => new Uint8Array([0x89, i])), type: 'BYTE_ARRAY' },
  ],
  rowGroupSize: 3,
});

describe('Parquet records', () => {
  it('reads the column names from the footer', async () => {
    const layout = await readParquetLayout(bytesOf(file));
    expect(layout.columns).toEqual(['ticket', 'body', 'category', 'png']);
    expect(layout.rows).toBe(7);
    expect(layout.metadata.row_groups).toHaveLength(3);
  });

  it('numbers rows across row groups, reads only the columns asked for, and keeps bytes as bytes', async () => {
    const layout = await readParquetLayout(bytesOf(file));
    const records = await collect(readParquetRecords(bytesOf(file), layout, ['ticket', 'category', 'png']));
    expect(records.map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(records[1]!.value).toEqual({ ticket: 2n, category: null, png: new Uint8Array([0x89, 1]) });
    expect(Object.keys(records[0]!.value as object)).toEqual(['ticket', 'category', 'png']);
  });

  it('turns a row group that does not decode into one problem per row, and reads on', async () => {
    const layout = await readParquetLayout(bytesOf(file));
    const chunk = layout.metadata.row_groups[1]!.columns[1]!.meta_data!;
    const from = Number(chunk.data_page_offset);
    const garbled: ByteRanges = {
      byteLength: file.byteLength,
      slice: async (start, end = file.byteLength) => {
        const copy = new Uint8Array(file.slice(start, end));
        for (let i = Math.max(start, from); i < Math.min(end, from + Number(chunk.total_compressed_size)); i++) copy[i - start] = 0xff;
        return copy.buffer;
      },
    };
    const records = await collect(readParquetRecords(garbled, layout, ['ticket', 'body']));
    expect(records.map((r) => [r.number, r.problem === undefined])).toEqual([
      [1, true], [2, true], [3, true], [4, false], [5, false], [6, false], [7, true],
    ]);
    expect(records[3]!.problem).toMatch(/^row group 2 cannot be decoded/);
  });

  it('throws errors of the source (to be retried), and calls a file that is not Parquet a FormatError', async () => {
    const layout = await readParquetLayout(bytesOf(file));
    const failing: ByteRanges = { byteLength: file.byteLength, slice: async () => Promise.reject(new Error('connection reset')) };
    await expect(collect(readParquetRecords(failing, layout, ['body']))).rejects.toThrow('connection reset');
    await expect(readParquetLayout(failing)).rejects.toThrow('connection reset');
    const text = new TextEncoder().encode('{"id":1}\n'.repeat(10)).buffer;
    await expect(readParquetLayout(bytesOf(text))).rejects.toBeInstanceOf(FormatError);
  });
});
