export interface PhysicalLine {
  /** 1-based physical line number in the input. */
  line: number;
  text: string;
}

const LF = 0x0a;
const BOM = '\uFEFF';

/**
 * Splits bytes into physical lines: a line ends at `\n`, with an optional `\r` before it; a bare `\r`
 * is part of the line (readline would split on it and shift every later line number). Splitting on
 * bytes is safe for UTF-8, as 0x0a never occurs inside a multi-byte sequence: the bytes up to a
 * chunk's last newline decode whole, and a character cut by the chunk boundary waits, undecoded, for
 * the rest of its line. A UTF-8 BOM at the very start is dropped. Blank lines are kept: the caller
 * decides what they mean.
 */
export class LineSplitter {
  /** Bytes of the unfinished line, from earlier chunks. */
  private pending: Buffer[] = [];
  private line = 0;

  push(chunk: Buffer): PhysicalLine[] {
    const last = chunk.lastIndexOf(LF);
    if (last === -1) {
      if (chunk.length) this.pending.push(chunk);
      return [];
    }
    const out: PhysicalLine[] = [];
    let from = 0;
    if (this.pending.length) {
      const first = chunk.indexOf(LF);
      this.pending.push(chunk.subarray(0, first));
      this.emit(out, Buffer.concat(this.pending).toString('utf8'));
      this.pending = [];
      from = first + 1;
    }
    // One decode for all the complete lines of the chunk: far cheaper than one per line.
    if (from <= last) {
      const text = chunk.toString('utf8', from, last);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        this.emit(out, text.slice(start, nl));
        start = nl + 1;
      }
      this.emit(out, text.slice(start));
    }
    if (last + 1 < chunk.length) this.pending.push(chunk.subarray(last + 1));
    return out;
  }

  /** The last line when the input does not end with a newline (a final `\n` adds no empty line). */
  end(): PhysicalLine[] {
    if (!this.pending.length) return [];
    const out: PhysicalLine[] = [];
    this.emit(out, Buffer.concat(this.pending).toString('utf8'), false);
    this.pending = [];
    return out;
  }

  private emit(out: PhysicalLine[], text: string, endedByNewline = true): void {
    this.line += 1;
    if (this.line === 1 && text.startsWith(BOM)) text = text.slice(BOM.length);
    if (endedByNewline && text.endsWith('\r')) text = text.slice(0, -1);
    out.push({ line: this.line, text });
  }
}

/** Streams the physical lines of a byte stream (an S3 body, a file) without holding it in memory. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<PhysicalLine> {
  const splitter = new LineSplitter();
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // A plain loop: `yield*` over an array in an async generator costs an extra promise per line.
    for (const line of splitter.push(bytes)) yield line;
  }
  for (const line of splitter.end()) yield line;
}
