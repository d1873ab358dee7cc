import { gzipSync } from 'node:zlib';
import { readCsvHeader, readCsvRecords } from './csv-records.js';
import { gunzipChunks } from './gzip.js';
import { chunksOf, collect } from './testing/streams.js';

const csv = [
  '\uFEFFticket,body,category', // 1: header, with a BOM
  '1,hello there,ham', // 2
  '', // 3: blank
  '2,"a body, with a comma', // 4: a quoted field over two lines
  'and a newline",spam', // 5
  '3,"says ""hi""",ham\r', // 6: CRLF
  '4,too,many,fields', // 7
  '5,"bad"x,ham', // 8: a stray quote is kept as text
  '6,short', // 9
  '7,last,spam', // 10
].join('\n');

describe('readCsvRecords', () => {
  it('keys each record by the header and numbers records, with the line each starts on', async () => {
    for (const size of [3, 1000]) {
      const records = await collect(readCsvRecords(chunksOf(csv, size)));
      expect(records.map((r) => [r.number, r.line, r.problem ?? r.value])).toEqual([
        [1, 2, { ticket: '1', body: 'hello there', category: 'ham' }],
        [2, 3, 'blank line'],
        [3, 4, { ticket: '2', body: 'a body, with a comma\nand a newline', category: 'spam' }],
        [4, 6, { ticket: '3', body: 'says "hi"', category: 'ham' }],
        [5, 7, 'has 4 fields; the header has 3'],
        [6, 8, { ticket: '5', body: '"bad"x', category: 'ham' }],
        [7, 9, 'has 2 fields; the header has 3'],
        [8, 10, { ticket: '7', body: 'last', category: 'spam' }],
      ]);
    }
  });

  it('makes a quote that never closes one reject, in its place, without echoing the text', async () => {
    const records = await collect(readCsvRecords(chunksOf('id,text\n1,ok\n2,"never closed SECRET\n3,also swallowed\n', 4)));
    expect(records.map((r) => [r.number, r.line, r.problem ?? r.value])).toEqual([
      [1, 2, { id: '1', text: 'ok' }],
      [2, 3, 'not valid CSV: a quoted field is never closed'],
    ]);
    expect(JSON.stringify(records)).not.toContain('SECRET');
  });

  it('reads gzip, and gives no records for a header alone or nothing at all', async () => {
    const records = await collect(readCsvRecords(gunzipChunks(chunksOf(gzipSync(csv), 16))));
    expect(records).toHaveLength(8);
    expect(await collect(readCsvRecords(chunksOf('a,b\n', 10)))).toEqual([]);
    expect(await collect(readCsvRecords(chunksOf('', 10)))).toEqual([]);
  });

  it('reads the header and stops (stream buffers aside), even on an endless object', async () => {
    let pulled = 0;
    async function* endless() {
      yield Buffer.from('a,"b c",d\n');
      for (;;) {
        pulled += 1;
        yield Buffer.from('1,2,3\n');
      }
    }
    expect(await readCsvHeader(endless())).toEqual(['a', 'b c', 'd']);
    // What node's stream buffers pull ahead: tens of kilobytes, not the object.
    expect(pulled * 6).toBeLessThan(256 * 1024);
    expect(await readCsvHeader(chunksOf('', 10))).toBeUndefined();
  });
});
