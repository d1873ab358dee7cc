/** IDX (the MNIST container): magic 0x0000 | type | ndims, then ndims big-endian uint32 sizes, then data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(buf: Uint8Array): IdxArray {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 4 || view.getUint16(0) !== 0) throw new Error('not an IDX file (bad magic)');
  if (buf[2] !== UNSIGNED_BYTE) throw new Error(`IDX element type 0x${buf[2]!.toString(16)} is not supported, only unsigned bytes`);
  const ndims = buf[3]!;
  const headerBytes = 4 + 4 * ndims;
  if (buf.byteLength < headerBytes) throw new Error('IDX header is truncated');
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((p, d) => p * d, 1);
  if (buf.byteLength !== headerBytes + size) throw new Error(`IDX data holds ${buf.byteLength - headerBytes} bytes, dims ${dims.join('x')} need ${size}`);
  return { dims, data: buf.subarray(headerBytes) };
}
