import { Readable } from 'node:stream';
import { LineSplitter, splitLines, type PhysicalLine } from './lines.js';

/** Feeds `bytes` to a splitter cut at the given offsets. */
function splitAt(bytes: Buffer, cuts: number[]): PhysicalLine[] {
  const splitter = new LineSplitter();
  const out: PhysicalLine[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...splitter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return [...out, ...splitter.end()];
}

/** Every way of cutting `bytes` into two and three chunks gives the same lines as one chunk. */
function expectSameAtEveryCut(bytes: Buffer, expected: PhysicalLine[]) {
  expect(splitAt(bytes, [])).toEqual(expected);
  for (let i = 0; i <= bytes.length; i += 1) {
    expect(splitAt(bytes, [i])).toEqual(expected);
    for (let j = i; j <= bytes.length; j += 1) expect(splitAt(bytes, [i, j])).toEqual(expected);
  }
}

describe('LineSplitter', () => {
  it('ends lines at \\n or \\r\\n only: a bare \\r stays inside its line', () => {
    const text = 'a\r\nb\rc\n\r\r\rd\ne';
    expectSameAtEveryCut(Buffer.from(text), [
      { line: 1, text: 'a' },
      { line: 2, text: 'b\rc' },
      { line: 3, text: '\r\r\rd' },
      { line: 4, text: 'e' },
    ]);
  });

  it('keeps blank and whitespace-only lines, and a final newline adds no line', () => {
    expectSameAtEveryCut(Buffer.from('\n \t\n\r\nx\n'), [
      { line: 1, text: '' },
      { line: 2, text: ' \t' },
      { line: 3, text: '' },
      { line: 4, text: 'x' },
    ]);
    expect(splitAt(Buffer.alloc(0), [])).toEqual([]);
    expect(splitAt(Buffer.from('\n'), [])).toEqual([{ line: 1, text: '' }]);
  });

  it('decodes multi-byte UTF-8 characters cut by a chunk boundary', () => {
    const text = 'é€😀\n{"input":"naïve ✓"}\r\n😀';
    expectSameAtEveryCut(Buffer.from(text), [
      { line: 1, text: 'é€😀' },
      { line: 2, text: '{"input":"naïve ✓"}' },
      { line: 3, text: '😀' },
    ]);
  });

  it('drops a leading BOM, even when it is split across chunks, and only at the start', () => {
    const bom = '\uFEFF';
    expectSameAtEveryCut(Buffer.from(`${bom}{"id":1}\r\n${bom}x\n`), [
      { line: 1, text: '{"id":1}' },
      { line: 2, text: `${bom}x` },
    ]);
    expectSameAtEveryCut(Buffer.from(`${bom}\n`), [{ line: 1, text: '' }]);
  });

  it('keeps a trailing \\r of a last line that has no newline (it ends no line)', () => {
    expect(splitAt(Buffer.from('a\nb\r'), [])).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'b\r' },
    ]);
  });
});

describe('splitLines', () => {
  it('streams the lines of a byte stream, numbering them across chunks', async () => {
    const chunks = [Buffer.from('{"a":1}\r'), Buffer.from('\n\n{"b"'), new Uint8Array(Buffer.from(':2}\n'))];
    const out: PhysicalLine[] = [];
    for await (const l of splitLines(Readable.from(chunks))) out.push(l);
    expect(out).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '' },
      { line: 3, text: '{"b":2}' },
    ]);
  });
});
