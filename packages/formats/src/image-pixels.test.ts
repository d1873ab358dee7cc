import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { imageShapeForWidth, imageToPixels } from './image-pixels.js';

function png(side: number, rgba: (i: number) => [number, number, number, number], colorType: 0 | 2 | 6 = 6): Buffer {
  const image = new PNG({ width: side, height: side });
  for (let i = 0; i < side * side; i++) image.data.set(rgba(i), i * 4);
  return PNG.sync.write(image, { colorType });
}

describe('imageShapeForWidth', () => {
  it('reads a width as a square grey or RGB image, or neither', () => {
    expect(imageShapeForWidth(784)).toEqual({ side: 28, channels: 1 });
    expect(imageShapeForWidth(3072)).toEqual({ side: 32, channels: 3 });
    expect(imageShapeForWidth(10)).toBeUndefined();
  });
});

describe('imageToPixels', () => {
  const grey = png(4, (i) => [i * 10, i * 10, i * 10, 255], 0);

  it('decodes a grey PNG from bytes, base64 and a data URL to the same pixels', () => {
    const want = Array.from({ length: 16 }, (_, i) => i * 10);
    for (const value of [new Uint8Array(grey), grey.toString('base64'), `data:image/png;base64,${grey.toString('base64')}`]) {
      expect(imageToPixels(value, { side: 4, channels: 1 })).toEqual({ ok: true, pixels: want });
    }
  });

  it('converts colour to the model\'s channels', () => {
    const red = png(2, () => [255, 0, 0, 255], 2);
    expect(imageToPixels(red, { side: 2, channels: 3 })).toEqual({ ok: true, pixels: [255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0] });
    expect(imageToPixels(red, { side: 2, channels: 1 })).toEqual({ ok: true, pixels: [76, 76, 76, 76] });
    expect(imageToPixels(grey, { side: 4, channels: 3 })).toMatchObject({ ok: true, pixels: expect.arrayContaining([150]) });
  });

  it('decodes a JPEG close to its source', () => {
    const side = 8;
    const data = Buffer.alloc(side * side * 4);
    for (let i = 0; i < side * side; i++) data.set([128, 128, 128, 255], i * 4);
    const encoded = jpeg.encode({ width: side, height: side, data }, 95).data;
    const out = imageToPixels(encoded.toString('base64'), { side, channels: 1 });
    if (!out.ok) throw new Error(out.problem);
    expect(out.pixels).toHaveLength(64);
    for (const v of out.pixels) expect(Math.abs(v - 128)).toBeLessThanOrEqual(3);
    const wrong = imageToPixels(encoded, { side: 28, channels: 1 });
    expect(wrong).toEqual({ ok: false, problem: 'is a 8x8 image; the model takes 28x28 grey images' });
  });

  it('refuses the wrong size without decoding, and what is not an image', () => {
    expect(imageToPixels(grey, { side: 28, channels: 1 })).toEqual({ ok: false, problem: 'is a 4x4 image; the model takes 28x28 grey images' });
    expect(imageToPixels('not an image at all', { side: 4, channels: 1 })).toEqual({ ok: false, problem: 'is not a PNG or JPEG image (nor base64 of one)' });
    const truncated = grey.subarray(0, 40);
    expect(imageToPixels(truncated, { side: 4, channels: 1 })).toMatchObject({ ok: false, problem: expect.stringMatching(/^is a PNG image that cannot be decoded/) });
  });
});
