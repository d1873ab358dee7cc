import type { FeaturizerConfig } from '@datashunt/contracts';
import { InvalidInputError } from './errors.js';
import { describeInput, type BatchFeaturizer, type FeedTensor, type ModelInput } from './feeds.js';

export type PixelsConfig = Extract<FeaturizerConfig, { kind: 'pixels' }>;

/** Raw numeric rows (pixels, or any fixed-size vector) as a float tensor [batch, ...shape], times `scale`. */
export class PixelBatchFeaturizer implements BatchFeaturizer {
  readonly width: number;

  constructor(private readonly config: PixelsConfig) {
    this.width = config.shape.reduce((a, b) => a * b, 1);
  }

  featurize(rows: readonly ModelInput[], firstRowIndex: number): FeedTensor[] {
    const data = new Float32Array(rows.length * this.width);
    rows.forEach((row, r) => this.encode(row, data, r * this.width, firstRowIndex + r));
    return [{ name: this.config.inputName, type: 'float32', data, dims: [rows.length, ...this.config.shape] }];
  }

  /** Validates one row (a non-finite value would poison every score of its batch) and writes it scaled. */
  encode(row: ModelInput, out: Float32Array, offset: number, rowIndex: number): void {
    if (!Array.isArray(row)) throw new InvalidInputError(`row ${rowIndex}: a pixel model needs an array of numbers, got ${describeInput(row)}`);
    if (row.length !== this.width) {
      throw new InvalidInputError(`row ${rowIndex}: expected ${this.width} values (shape ${this.config.shape.join('x')}), got ${row.length}`);
    }
    const scale = this.config.scale;
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InvalidInputError(`row ${rowIndex}: value ${i} is ${String(v)}; pixel inputs must be finite numbers`);
      }
      out[offset + i] = v * scale;
    }
  }
}
