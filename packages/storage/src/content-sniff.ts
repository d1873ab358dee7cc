import { isUtf8 } from 'node:buffer';

/** How many leading bytes `detectCompressedOrBinary` looks at; fetch at least this many. */
export const SNIFF_BYTES = 512;

const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'a zip archive' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text' },
];

/** What a text input may be, said when one is not. */
const READABLE = 'datashunt reads UTF-8 JSONL or CSV text (gzip-compressed or not) and Parquet';

/**
 * Says why input that should be UTF-8 text (JSONL, CSV: after any gzip is undone) is not, from its
 * first bytes: a known compressed or columnar format by magic number, or binary content: bytes that
 * are not UTF-8, or many NULs (UTF-16 without a BOM, padded formats). A stray control character in an
 * otherwise textual line is left to become that line's reject. Such input would otherwise become one
 * garbage reject per "line"; undefined when it looks like text.
 */
export function detectCompressedOrBinary(firstBytes: Buffer): string | undefined {
  const magic = MAGIC.find(({ bytes }) => bytes.length <= firstBytes.length && bytes.every((b, i) => firstBytes[i] === b));
  const hex = [...firstBytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  if (magic) return `input is ${magic.what} (starts with bytes ${hex}), not text: ${READABLE}`;
  const head = firstBytes.subarray(0, SNIFF_BYTES);
  if (!isUtf8Prefix(head)) return `input is binary, not UTF-8 text (its first ${head.length} bytes are not valid UTF-8): ${READABLE}`;
  const nuls = head.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
  if (nuls > head.length / 10) return `input is binary, not UTF-8 text (${nuls} of its first ${head.length} bytes are NUL): ${READABLE}`;
  return undefined;
}

/** Valid UTF-8 up to a character that the cut at the end of the prefix may have split (at most 3 bytes). */
function isUtf8Prefix(bytes: Buffer): boolean {
  for (let cut = 0; cut <= Math.min(3, bytes.length); cut += 1) if (isUtf8(bytes.subarray(0, bytes.length - cut))) return true;
  return false;
}
