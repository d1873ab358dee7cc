import type { PixelImage } from '@datashunt/algorithms';

/** Nearest neighbours over downsampled pixels: the stand-in's image reader. */

export interface PixelKnnParams {
  /** Images are averaged down to grid x grid cells per channel before comparing. */
  grid: number;
  channels: 1 | 3;
  /** k nearest training images of each class are averaged into that class's distance. */
  k: number;
  samples: Array<{ classIndex: number; features: number[] }>;
}

export const DEFAULT_GRID = 14;
const DEFAULT_K = 3;

/** Area-average downsampling to grid x grid, values in 0..1; works for any side. */
export function pixelFeatures(image: PixelImage, grid: number, channels: 1 | 3): number[] {
  const sums = new Array<number>(grid * grid * channels).fill(0);
  const counts = new Array<number>(grid * grid).fill(0);
  for (let y = 0; y < image.side; y++) {
    for (let x = 0; x < image.side; x++) {
      const cell = Math.floor((y * grid) / image.side) * grid + Math.floor((x * grid) / image.side);
      counts[cell]!++;
      for (let c = 0; c < channels; c++) {
        // A grey image compared with RGB samples repeats its channel; an RGB one read as grey is averaged.
        const value = channels === image.channels ? image.pixels[(y * image.side + x) * image.channels + c]! : meanChannel(image, x, y);
        sums[cell * channels + c]! += value / 255;
      }
    }
  }
  return sums.map((sum, i) => sum / Math.max(1, counts[Math.floor(i / channels)]!));
}

function meanChannel(image: PixelImage, x: number, y: number): number {
  const at = (y * image.side + x) * image.channels;
  let sum = 0;
  for (let c = 0; c < image.channels; c++) sum += image.pixels[at + c]!;
  return sum / image.channels;
}

export function trainPixelKnn(images: readonly PixelImage[], classOf: readonly number[], grid = DEFAULT_GRID): PixelKnnParams {
  const channels = images[0]?.channels ?? 1;
  const samples = images.map((image, i) => ({
    classIndex: classOf[i]!,
    // Three decimals keep the stored model small at no cost to accuracy.
    features: pixelFeatures(image, grid, channels).map((v) => Math.round(v * 1000) / 1000),
  }));
  return { grid, channels, k: DEFAULT_K, samples };
}

/** Minus the mean distance to each class's k nearest samples (a class without samples gets -Infinity). */
export function pixelKnnLogits(params: PixelKnnParams, image: PixelImage, classes: number): number[] {
  const features = pixelFeatures(image, params.grid, params.channels);
  const distances: number[][] = Array.from({ length: classes }, () => []);
  for (const sample of params.samples) {
    let d = 0;
    for (let i = 0; i < features.length; i++) d += (features[i]! - sample.features[i]!) ** 2;
    distances[sample.classIndex]!.push(Math.sqrt(d));
  }
  return distances.map((ds) => {
    if (ds.length === 0) return -Infinity;
    const nearest = ds.sort((a, b) => a - b).slice(0, params.k);
    return -nearest.reduce((a, b) => a + b, 0) / nearest.length;
  });
}
