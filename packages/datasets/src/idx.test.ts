import { parseIdx } from './idx';

describe('parseIdx', () => {
  const header = (type: number, dims: number[]) => [0, 0, type, dims.length, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];

  it('reads dims and data of an unsigned-byte file', () => {
    const parsed = parseIdx(Uint8Array.from([...header(8, [2, 2, 3]), ...Array.from({ length: 12 }, (_, i) => i * 20)]));
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
  });

  it('reads a 1-d label file with a large size field', () => {
    const parsed = parseIdx(Uint8Array.from([...header(8, [300]), ...new Array(300).fill(7)]));
    expect(parsed.dims).toEqual([300]);
    expect(parsed.data.length).toBe(300);
  });

  it('rejects bad magic, other element types and wrong lengths', () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/magic/);
    expect(() => parseIdx(Uint8Array.from([...header(0x0d, [1]), 0, 0, 0, 0]))).toThrow(/not supported/);
    expect(() => parseIdx(Uint8Array.from([...header(8, [3]), 1, 2]))).toThrow(/need 3/);
  });
});
