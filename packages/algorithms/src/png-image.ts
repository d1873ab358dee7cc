import { PNG } from 'pngjs';

/** A square image, row-major, channels interleaved (1 = grey, 3 = RGB), values 0..255. */
export interface PixelImage {
  side: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

const PNG_GREY = 0;
const PNG_RGB = 2;
const PNG_GREY_ALPHA = 4;
const DATA_URL_PREFIX = 'data:image/png;base64,';

/**
 * Reads an image task's input: a flat array of side*side grey values or side*side*3 interleaved RGB
 * values. The two never collide (side^2 = 3 * k^2 has no integer solution), so the shape is implied.
 */
export function pixelsToImage(values: readonly number[]): PixelImage {
  const pixels = Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round(v))));
  for (const channels of [1, 3] as const) {
    const side = Math.round(Math.sqrt(values.length / channels));
    if (side > 0 && side * side * channels === values.length) return { side, channels, pixels };
  }
  throw new Error(`an image input must hold side*side (grey) or side*side*3 (RGB) values, got ${values.length}`);
}

export function encodePng(image: PixelImage): Buffer {
  const colorType = image.channels === 1 ? PNG_GREY : PNG_RGB;
  return PNG.sync.write(
    { width: image.side, height: image.side, data: Buffer.from(image.pixels) } as PNG,
    { colorType, inputColorType: colorType, inputHasAlpha: false },
  );
}

export function pngDataUrl(image: PixelImage): string {
  return DATA_URL_PREFIX + encodePng(image).toString('base64');
}

/** Decodes a PNG data URL back to pixels; alpha is dropped, a grey PNG gives one channel. */
export function decodePngDataUrl(url: string): PixelImage {
  if (!url.startsWith(DATA_URL_PREFIX)) throw new Error('expected a data:image/png;base64 URL');
  const png = PNG.sync.read(Buffer.from(url.slice(DATA_URL_PREFIX.length), 'base64'));
  if (png.width !== png.height) throw new Error(`expected a square image, got ${png.width}x${png.height}`);
  const channels = png.colorType === PNG_GREY || png.colorType === PNG_GREY_ALPHA ? 1 : 3;
  const count = png.width * png.height;
  const pixels = new Uint8Array(count * channels);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) pixels[i * channels + c] = png.data[i * 4 + c]!;
  }
  return { side: png.width, channels, pixels };
}
