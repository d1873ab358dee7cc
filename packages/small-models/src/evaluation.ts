import { AccuracyTally, argmax, expectedCalibrationError, reliabilityTable, type AccuracyCell, type ReliabilityBin } from '@datashunt/algorithms';

export interface ClassifierEvaluation {
  rows: number;
  accuracy: number;
  perClass: Record<string, AccuracyCell>;
  reliability: ReliabilityBin[];
  /** Expected calibration error over 10 equal-width confidence bins. */
  ece: number;
}

/** Accuracy overall and per gold class, and calibration (reliability table, ECE) of top-class confidences. */
export function evaluateProbabilities(probs: readonly ArrayLike<number>[], gold: readonly number[], labels: readonly string[]): ClassifierEvaluation {
  const tally = new AccuracyTally();
  let correct = 0;
  probs.forEach((p, i) => {
    const hit = argmax(p) === gold[i];
    if (hit) correct += 1;
    tally.add(labels[gold[i]!]!, hit);
  });
  return {
    rows: probs.length,
    accuracy: probs.length ? correct / probs.length : 0,
    perClass: tally.toRecord(labels),
    reliability: reliabilityTable([...probs], [...gold]),
    ece: expectedCalibrationError([...probs], [...gold]),
  };
}
