import { gzipSync } from 'node:zlib';
import { detectCompressedOrBinary } from './content-sniff.js';

describe('detectCompressedOrBinary', () => {
  it('names gzip from its magic bytes, as gzip itself writes them', () => {
    const gz = gzipSync(Buffer.from('{"id":1,"input":"x"}\n'));
    expect(detectCompressedOrBinary(gz.subarray(0, 512))).toMatch(/^input is gzip-compressed \(starts with bytes 1f 8b/);
  });

  it.each([
    [[0x50, 0x4b, 0x03, 0x04, 0x14], 'a zip archive'],
    [[0x28, 0xb5, 0x2f, 0xfd, 0x00], 'zstd-compressed'],
    [[0x50, 0x41, 0x52, 0x31, 0x15], 'a Parquet file'],
    [[0x42, 0x5a, 0x68, 0x39], 'bzip2-compressed'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed'],
    [[0xff, 0xfe, 0x7b, 0x00], 'UTF-16 text'],
  ])('names %j as %s', (bytes, what) => {
    expect(detectCompressedOrBinary(Buffer.from(bytes))).toContain(`input is ${what}`);
  });

  it('calls bytes that are not UTF-8, or mostly NUL, binary', () => {
    expect(detectCompressedOrBinary(Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0xff, 0xfe, 0x00, 0x93, 0x0a]))).toBe(
      'input is binary, not UTF-8 text (its first 11 bytes are not valid UTF-8): datashunt reads UTF-8 JSONL or CSV text (gzip-compressed or not) and Parquet',
    );
    expect(detectCompressedOrBinary(Buffer.from('{"id":1}', 'utf16le'))).toMatch(/^input is binary, not UTF-8 text \(8 of its first 16 bytes are NUL\)/);
  });

  it('leaves a stray control character in a text line to that line, and a character cut at the end of the sniffed bytes', () => {
    expect(detectCompressedOrBinary(Buffer.from('not json\n{"id":1}\n\u0000\u0001binary\n'))).toBeUndefined();
    const text = Buffer.from(`{"input":"${'é'.repeat(300)}"}`);
    expect(detectCompressedOrBinary(text.subarray(0, 512))).toBeUndefined();
    expect(detectCompressedOrBinary(text.subarray(0, 511))).toBeUndefined();
  });

  it('lets JSONL text through, with a BOM, CRLF, non-ASCII text or nothing at all', () => {
    for (const text of ['{"id":1,"input":"x"}\n', '\uFEFF{"id":1}\r\n', '{"input":"Größe 😀"}', 'PK is not a zip', '']) {
      expect(detectCompressedOrBinary(Buffer.from(text))).toBeUndefined();
    }
  });
});
