import { pixelsToImage } from '@datashunt/algorithms';
import { pixelFeatures, pixelKnnLogits, trainPixelKnn } from './pixel-knn';
import { mulberry32 } from '@datashunt/algorithms';
import { syntheticImage } from './testing/synthetic-data';

describe('pixelFeatures', () => {
  it('averages blocks down to the grid, scaled to 0..1', () => {
    const image = pixelsToImage([255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 51, 51, 0, 0, 51, 51]);
    expect(pixelFeatures(image, 2, 1)).toEqual([1, 0, 0, 0.2]);
  });

  it('reads RGB as grey (channel mean) and grey as RGB (repeated)', () => {
    const rgb = pixelsToImage([255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0]);
    expect(pixelFeatures(rgb, 1, 1)[0]).toBeCloseTo(2 / 12);
    expect(pixelFeatures(pixelsToImage([255, 255, 0, 0]), 1, 3)).toEqual([0.5, 0.5, 0.5]);
  });
});

describe('pixel kNN', () => {
  it('scores the class of the nearest images highest', () => {
    const random = mulberry32(3);
    const labels = ['horizontal', 'vertical', 'diagonal'];
    const images = labels.flatMap((label) => Array.from({ length: 5 }, () => pixelsToImage(syntheticImage(label, random))));
    const params = trainPixelKnn(images, images.map((_, i) => Math.floor(i / 5)), 4);
    for (const [classIndex, label] of labels.entries()) {
      const logits = pixelKnnLogits(params, pixelsToImage(syntheticImage(label, random)), 3);
      expect(logits.indexOf(Math.max(...logits))).toBe(classIndex);
    }
    expect(pixelKnnLogits({ ...params, samples: params.samples.filter((s) => s.classIndex !== 2) }, images[0]!, 3)[2]).toBe(-Infinity);
  });
});
