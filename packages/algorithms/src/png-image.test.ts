import { decodePngDataUrl, encodePng, pixelsToImage, pngDataUrl } from './png-image';

describe('png images', () => {
  it('infers grey and RGB shapes from the pixel count', () => {
    expect(pixelsToImage(new Array(784).fill(0))).toMatchObject({ side: 28, channels: 1 });
    expect(pixelsToImage(new Array(3 * 32 * 32).fill(0))).toMatchObject({ side: 32, channels: 3 });
    expect(() => pixelsToImage(new Array(10).fill(0))).toThrow(/side\*side/);
  });

  it('clamps and rounds values into bytes', () => {
    expect(Array.from(pixelsToImage([-5, 3.6, 300, 128]).pixels)).toEqual([0, 4, 255, 128]);
  });

  it('round-trips RGB pixels through a PNG data URL', () => {
    const values = Array.from({ length: 3 * 9 }, (_, i) => (i * 37) % 256);
    const url = pngDataUrl(pixelsToImage(values));
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(encodePng(pixelsToImage(values)).subarray(1, 4).toString()).toBe('PNG');
    expect(decodePngDataUrl(url)).toEqual({ side: 3, channels: 3, pixels: Uint8Array.from(values) });
  });

  it('rejects other URLs', () => {
    expect(() => decodePngDataUrl('https://example.com/cat.png')).toThrow(/data:image\/png/);
  });
});
