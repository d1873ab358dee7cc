import { applyTemperature, confidenceToProbs, fitTemperature } from '@datashunt/algorithms';
import { RAW_CONFIDENCE, type LargeAnswer, type LargeConfidence } from './distill-set.js';

/** Fewer labelled answers than this fit a temperature to noise; C_l is then left raw (and said to be). */
export const MIN_LABELLED_FOR_TEMPERATURE = 20;

/**
 * A chat API's C_l is often exactly 1 (log-probability 0), and no temperature moves a probability of 1,
 * so confidences are kept this far inside (0, 1) before scaling.
 */
const EDGE = 1e-6;

export type LargeConfidenceCalibration =
  | { calibrated: true; temperature: number; labelledRows: number; nllBefore: number; nllAfter: number; confidence: LargeConfidence }
  | { calibrated: false; labelledRows: number; reason: string; confidence: LargeConfidence };

/**
 * Temperature scaling of the large model's confidence, fitted on held-out answers that carry gold
 * labels: C_l becomes the scaled probability of the answered label under confidenceToProbs (C_l on
 * the answer, the rest spread evenly), so an over-confident large model stops filling x3 with answers
 * that are wrong as often as not.
 */
export function calibrateLargeConfidence(heldOut: readonly { answer: LargeAnswer; gold?: number }[], classes: number): LargeConfidenceCalibration {
  const labelled = heldOut.filter((r): r is { answer: LargeAnswer; gold: number } => r.gold !== undefined);
  if (labelled.length < MIN_LABELLED_FOR_TEMPERATURE) {
    const reason =
      labelled.length === 0
        ? 'uncalibrated: no held-out large-model answer carries a gold label, so C_l is used as the large model reported it'
        : `uncalibrated: ${labelled.length} held-out large-model answers carry gold labels, fewer than the ${MIN_LABELLED_FOR_TEMPERATURE} a temperature fit needs, so C_l is used as the large model reported it`;
    return { calibrated: false, labelledRows: labelled.length, reason, confidence: RAW_CONFIDENCE };
  }
  const probs = (answer: LargeAnswer) => confidenceToProbs(clampInside(answer.c_l), answer.index, classes);
  const fit = fitTemperature(labelled.map((r) => ({ probs: probs(r.answer), gold: r.gold })));
  return {
    calibrated: true,
    temperature: fit.temperature,
    labelledRows: labelled.length,
    nllBefore: fit.nllBefore,
    nllAfter: fit.nllAfter,
    confidence: (c_l, index) => applyTemperature(confidenceToProbs(clampInside(c_l), index, classes), fit.temperature)[index]!,
  };
}

function clampInside(c: number): number {
  return Math.min(Math.max(c, EDGE), 1 - EDGE);
}
