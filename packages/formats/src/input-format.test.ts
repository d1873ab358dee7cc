import { gzipSync } from 'node:zlib';
import { formatFromKey, resolveObjectFormat } from './input-format.js';

const jsonl = Buffer.from('{"id":1,"input":"x"}\n');
const parquetHead = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(60, 7)]);

describe('formatFromKey', () => {
  it.each([
    ['a/b.jsonl', 'jsonl'],
    ['a/b.NDJSON', 'jsonl'],
    ['b.jsonl.gz', 'jsonl.gz'],
    ['b.csv', 'csv'],
    ['b.csv.gz', 'csv.gz'],
    ['b.parquet', 'parquet'],
    ['part-0.pq', 'parquet'],
    ['b.txt', undefined],
    ['b.gz', undefined],
  ])('%s -> %s', (key, format) => expect(formatFromKey(key)).toBe(format));
});

describe('resolveObjectFormat', () => {
  it('takes the declaration, else the name, else JSONL', () => {
    expect(resolveObjectFormat('x.txt', undefined, jsonl)).toEqual({ ok: true, format: { records: 'jsonl', gzip: false } });
    expect(resolveObjectFormat('x.csv', undefined, Buffer.from('a,b\n1,2\n'))).toEqual({ ok: true, format: { records: 'csv', gzip: false } });
    expect(resolveObjectFormat('x.jsonl', 'csv', Buffer.from('a,b\n'))).toEqual({ ok: true, format: { records: 'csv', gzip: false } });
  });

  it('inflates gzip whatever the name says, and looks at what is inside', () => {
    expect(resolveObjectFormat('x.jsonl', undefined, gzipSync(jsonl))).toEqual({ ok: true, format: { records: 'jsonl', gzip: true } });
    expect(resolveObjectFormat('x', undefined, gzipSync(jsonl))).toEqual({ ok: true, format: { records: 'jsonl', gzip: true } });
    expect(resolveObjectFormat('x.csv.gz', undefined, gzipSync('a,b\n1,2\n'))).toEqual({ ok: true, format: { records: 'csv', gzip: true } });
    // A prefix of a long stream inflates as far as it goes.
    const long = gzipSync(Buffer.from('{"id":1,"input":"some text"}\n'.repeat(20_000)));
    expect(resolveObjectFormat('x.jsonl.gz', undefined, long.subarray(0, 4096))).toEqual({ ok: true, format: { records: 'jsonl', gzip: true } });
  });

  it('refuses binary inside gzip, and gzip that does not inflate', () => {
    const zipInside = resolveObjectFormat('x.jsonl.gz', undefined, gzipSync(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])));
    expect(zipInside).toEqual({ ok: false, problem: expect.stringMatching(/^input is a zip archive .* \(inside its gzip compression\)$/) });
    const broken = resolveObjectFormat('x.jsonl.gz', undefined, Buffer.from([0x1f, 0x8b, 0xff, 0xff, 0xff, 0xff]));
    expect(broken).toEqual({ ok: false, problem: expect.stringContaining('does not inflate') });
  });

  it('knows Parquet by its magic number, and refuses a declaration the bytes contradict', () => {
    expect(resolveObjectFormat('data', undefined, parquetHead)).toEqual({ ok: true, format: { records: 'parquet', gzip: false } });
    expect(resolveObjectFormat('data.parquet', undefined, parquetHead)).toEqual({ ok: true, format: { records: 'parquet', gzip: false } });
    expect(resolveObjectFormat('data.jsonl', undefined, parquetHead)).toEqual({ ok: false, problem: 'it is a Parquet file, but its name says jsonl; set input.format to "parquet"' });
    expect(resolveObjectFormat('data.jsonl', 'parquet', jsonl)).toEqual({ ok: false, problem: 'input.format is "parquet", but it is not a Parquet file (it does not start with "PAR1")', contradictsDeclared: true });
  });

  it('refuses truly binary data', () => {
    const result = resolveObjectFormat('x.jsonl', undefined, Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x93]));
    expect(result).toEqual({ ok: false, problem: expect.stringMatching(/^input is binary, not UTF-8 text/) });
  });
});
