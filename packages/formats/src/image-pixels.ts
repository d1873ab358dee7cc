import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * The square image a pixel model's flat input holds, read the way image tasks' pixel arrays are
 * everywhere else (see pixelsToImage): side*side grey values, or side*side*3 interleaved RGB.
 */
export interface ImageShape {
  side: number;
  channels: 1 | 3;
}

export function imageShapeForWidth(width: number): ImageShape | undefined {
  for (const channels of [1, 3] as const) {
    const side = Math.round(Math.sqrt(width / channels));
    if (side > 0 && side * side * channels === width) return { side, channels };
  }
  return undefined;
}

export type ImagePixels = { ok: true; pixels: number[] } | { ok: false; problem: string };

const DATA_URL = /^data:image\/[A-Za-z0-9.+-]+;base64,/;

/**
 * PNG or JPEG bytes (raw, base64, or a base64 data: URL) as the flat 0..255 pixel array a model of
 * this shape takes. The size must match exactly: resizing would score a different image than the one
 * given. Colour is converted to the model's channels (luma for grey). The size is read from the
 * header before anything is decoded, so a huge image costs nothing.
 */
export function imageToPixels(value: string | Uint8Array, shape: ImageShape): ImagePixels {
  const bytes = typeof value === 'string' ? Buffer.from(value.replace(DATA_URL, ''), 'base64') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const kind = isPng(bytes) ? 'PNG' : isJpeg(bytes) ? 'JPEG' : undefined;
  if (!kind) return { ok: false, problem: `is not a PNG or JPEG image${typeof value === 'string' ? ' (nor base64 of one)' : ''}` };
  const size = kind === 'PNG' ? pngSize(bytes) : jpegSize(bytes);
  if (!size) return { ok: false, problem: `is a ${kind} image whose size cannot be read` };
  if (size.width !== shape.side || size.height !== shape.side) {
    return { ok: false, problem: `is a ${size.width}x${size.height} image; the model takes ${shape.side}x${shape.side} ${shape.channels === 1 ? 'grey' : 'RGB'} images` };
  }
  let rgba: Uint8Array;
  try {
    rgba = kind === 'PNG' ? PNG.sync.read(bytes).data : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100 }).data;
  } catch (error) {
    return { ok: false, problem: `is a ${kind} image that cannot be decoded (${(error as Error).message})` };
  }
  return { ok: true, pixels: toChannels(rgba, shape) };
}

function toChannels(rgba: Uint8Array, shape: ImageShape): number[] {
  const count = shape.side * shape.side;
  const out = new Array<number>(count * shape.channels);
  for (let i = 0; i < count; i++) {
    const r = rgba[i * 4]!;
    const g = rgba[i * 4 + 1]!;
    const b = rgba[i * 4 + 2]!;
    if (shape.channels === 1) out[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    }
  }
  return out;
}

function isPng(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a;
}

function isJpeg(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** IHDR is always the first chunk: width and height at bytes 16 and 20. */
function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The first start-of-frame marker holds the size; markers before it are skipped by their lengths. */
function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    // SOF0..SOF15, except DHT (c4), JPG (c8) and DAC (cc), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return undefined;
}
