import type { DistillRow, DistillSet, DistillSetBuilder } from './distill-set.js';
import { calibrateLargeConfidence } from './large-confidence.js';

export interface LabelAccuracy {
  rows: number;
  accuracy: number;
}

/** How x3 was selected, and how right it is where its rows carry gold labels. */
export interface X3Confidence {
  calibrated: boolean;
  /** One sentence: the temperature and what it was fitted on, or why C_l is uncalibrated. */
  note: string;
  temperature: number | null;
  /** Held-out large-model answers with gold labels (what a temperature is fitted on). */
  labelledRows: number;
  /** x3 against gold labels, over its rows that carry one; null when none does. */
  accuracy: LabelAccuracy | null;
  /** The same for the x3 the raw C_l would have selected (only when calibrated), to show what calibration changed. */
  rawAccuracy: LabelAccuracy | null;
}

/**
 * Builds the set with x3 selected by the large model's confidence calibrated on the held-out labelled
 * answers, when there are enough of them, and by its raw C_l otherwise (said so in the note).
 */
export function x3Confidence<I>(builder: DistillSetBuilder<I>, classes: number): { set: DistillSet<I>; confidence: X3Confidence } {
  const raw = builder.build();
  const calibration = calibrateLargeConfidence(raw.heldOut, classes);
  if (!calibration.calibrated) {
    return {
      set: raw,
      confidence: { calibrated: false, note: `C_l ${calibration.reason}`, temperature: null, labelledRows: calibration.labelledRows, accuracy: labelAccuracy(raw.x3), rawAccuracy: null },
    };
  }
  const set = builder.build(calibration.confidence);
  const { temperature, labelledRows, nllBefore, nllAfter } = calibration;
  return {
    set,
    confidence: {
      calibrated: true,
      note: `C_l calibrated: temperature ${temperature.toFixed(3)} fitted on ${labelledRows} labelled held-out answers (NLL ${nllBefore.toFixed(3)} -> ${nllAfter.toFixed(3)})`,
      temperature,
      labelledRows,
      accuracy: labelAccuracy(set.x3),
      rawAccuracy: labelAccuracy(raw.x3),
    },
  };
}

function labelAccuracy(rows: readonly DistillRow[]): LabelAccuracy | null {
  const labelled = rows.filter((r) => r.gold !== undefined);
  if (labelled.length === 0) return null;
  const right = labelled.filter((r) => r.target.indexOf(Math.max(...r.target)) === r.gold).length;
  return { rows: labelled.length, accuracy: right / labelled.length };
}
