import { mulberry32, shuffleInPlace, type Rng } from '@datashunt/algorithms';

/** A seeded generator, so training runs with the same seed give the same weights. */
export class SeededRandom {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng();
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Fisher-Yates in place. */
  shuffle<T>(items: T[]): T[] {
    return shuffleInPlace(items, this.rng);
  }
}
