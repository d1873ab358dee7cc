import { topClass } from './confidence.js';

export interface AccuracyCell {
  correct: number;
  total: number;
  accuracy: number | null;
}

export type AccuracyCounts = Record<string, { correct: number; total: number }>;

/** Counts correct/total by key; accuracy is null for an empty cell rather than NaN. */
export class AccuracyTally {
  private readonly cells = new Map<string, { correct: number; total: number }>();

  add(key: string, correct: boolean): void {
    this.addCounts(key, correct ? 1 : 0, 1);
  }

  /** Folds in counts kept elsewhere (another shard's tally). */
  merge(counts: AccuracyCounts): void {
    for (const [key, c] of Object.entries(counts)) this.addCounts(key, c.correct, c.total);
  }

  counts(): AccuracyCounts {
    return Object.fromEntries([...this.cells].map(([key, c]) => [key, { ...c }]));
  }

  private addCounts(key: string, correct: number, total: number): void {
    const cell = this.cells.get(key) ?? { correct: 0, total: 0 };
    cell.total += total;
    cell.correct += correct;
    this.cells.set(key, cell);
  }

  cell(key: string): AccuracyCell {
    return toCell(this.cells.get(key) ?? { correct: 0, total: 0 });
  }

  toRecord(keys: Iterable<string> = this.cells.keys()): Record<string, AccuracyCell> {
    const out: Record<string, AccuracyCell> = {};
    for (const key of keys) out[key] = this.cell(key);
    return out;
  }
}

function toCell({ correct, total }: { correct: number; total: number }): AccuracyCell {
  return { correct, total, accuracy: total === 0 ? null : correct / total };
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanConfidence: number | null;
  accuracy: number | null;
}

/** Equal-width confidence bins of top-class predictions: the reliability diagram as a table. */
export function reliabilityTable(probs: ArrayLike<number>[], gold: number[], bins = 10): ReliabilityBin[] {
  const sums = Array.from({ length: bins }, () => ({ count: 0, confidence: 0, correct: 0 }));
  probs.forEach((p, i) => {
    const { index, confidence } = topClass(p);
    const bin = sums[Math.min(bins - 1, Math.floor(confidence * bins))]!;
    bin.count += 1;
    bin.confidence += confidence;
    if (index === gold[i]) bin.correct += 1;
  });
  return sums.map((s, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: s.count,
    meanConfidence: s.count ? s.confidence / s.count : null,
    accuracy: s.count ? s.correct / s.count : null,
  }));
}

/** Expected calibration error: the count-weighted gap between confidence and accuracy over the bins. */
export function expectedCalibrationError(probs: ArrayLike<number>[], gold: number[], bins = 10): number {
  const total = probs.length;
  if (total === 0) return 0;
  return reliabilityTable(probs, gold, bins).reduce(
    (sum, bin) => sum + (bin.count ? (bin.count / total) * Math.abs(bin.meanConfidence! - bin.accuracy!) : 0),
    0,
  );
}

export function accuracy(predicted: number[], gold: number[]): number {
  if (gold.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < gold.length; i++) if (predicted[i] === gold[i]) correct += 1;
  return correct / gold.length;
}
