import { ownedLines, planRanges, sampledBytesPerLine } from './input-ranges.js';
import type { InputObject } from './records.js';

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function owned(whole: Buffer, start: number, end: number, chunk: number): Promise<Buffer> {
  const from = Math.max(0, start - 1);
  const parts: Buffer[] = [];
  for await (const part of ownedLines(chunksOf(whole.subarray(from), chunk), from, start, end)) parts.push(part);
  return Buffer.concat(parts);
}

/** A seeded generator, so a failure names the case that fails. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('ownedLines', () => {
  it('gives every line of an object to exactly one range, whatever the cuts and chunk sizes', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = random(seed);
      const lines = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => 'x'.repeat(Math.floor(rnd() * 30)));
      const text = lines.join('\n') + (rnd() < 0.5 ? '\n' : '');
      const whole = Buffer.from(text);
      const cuts = [...new Set([0, whole.length, ...Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * whole.length))])].sort((a, b) => a - b);
      const chunk = 1 + Math.floor(rnd() * 17);
      const slices: Buffer[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) slices.push(await owned(whole, cuts[i]!, cuts[i + 1]!, chunk));
      expect({ seed, text: Buffer.concat(slices).toString() }).toEqual({ seed, text });
      // Whole lines only: a slice with more text after it ends with a newline.
      for (const [i, slice] of slices.entries()) {
        if (slice.length && Buffer.concat(slices.slice(i + 1)).length) expect(slice[slice.length - 1]).toBe(0x0a);
      }
    }
  });

  it('owns the line that starts exactly at its start, and not the one that starts at its end', async () => {
    const whole = Buffer.from('aa\nbb\ncc\n');
    expect((await owned(whole, 3, 6, 4)).toString()).toBe('bb\n');
    expect((await owned(whole, 0, 3, 2)).toString()).toBe('aa\n');
    expect((await owned(whole, 4, 6, 1)).toString()).toBe('');
    expect((await owned(whole, 2, 4, 3)).toString()).toBe('bb\n');
  });
});

const object = (over: Partial<InputObject>): InputObject => ({ bucket: 'b', key: 'k', etag: 'e', size: 0, format: { records: 'jsonl', gzip: false }, ...over });

describe('planRanges', () => {
  it('cuts uncompressed JSONL into byte ranges of about shardSize lines, never below the minimum', () => {
    expect(planRanges([object({ size: 1_000_000, bytesPerLine: 100 })], 2_500)).toEqual([
      { kind: 'bytes', object: 0, start: 0, end: 250_000 },
      { kind: 'bytes', object: 0, start: 250_000, end: 500_000 },
      { kind: 'bytes', object: 0, start: 500_000, end: 750_000 },
      { kind: 'bytes', object: 0, start: 750_000, end: 1_000_000 },
    ]);
    expect(planRanges([object({ size: 40_000, bytesPerLine: 10 })], 10)).toHaveLength(3);
  });

  it('keeps gzip and CSV objects whole, groups Parquet row groups, and plans one range for an empty object', () => {
    const ranges = planRanges(
      [
        object({ size: 10_000_000, format: { records: 'jsonl', gzip: true } }),
        object({ size: 10_000_000, format: { records: 'csv', gzip: false } }),
        object({ size: 5_000, format: { records: 'parquet', gzip: false }, rowGroups: [400, 400, 400, 100] }),
        object({ size: 0 }),
      ],
      800,
    );
    expect(ranges).toEqual([
      { kind: 'whole', object: 0 },
      { kind: 'whole', object: 1 },
      { kind: 'groups', object: 2, start: 0, end: 2 },
      { kind: 'groups', object: 2, start: 2, end: 4 },
      { kind: 'whole', object: 3 },
    ]);
  });
});

describe('sampledBytesPerLine', () => {
  it('averages over the complete lines of the sample', () => {
    expect(sampledBytesPerLine(Buffer.from('abc\nde\nf'))).toBe(3.5);
    expect(sampledBytesPerLine(Buffer.from('no newline'))).toBeUndefined();
  });
});
