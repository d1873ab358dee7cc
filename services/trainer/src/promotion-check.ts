import { promotionGate, shunt, type AccuracyBasis, type HeldOutOutcome } from '@datashunt/algorithms';
import type { PromotionRecord } from '@datashunt/contracts';
import type { HeldOutRow } from './distill-set.js';

/** Gold where every held-out row has a label, else agreement with the large model. */
export function heldOutBasis(rows: readonly HeldOutRow[]): AccuracyBasis {
  return rows.length > 0 && rows.every((r) => r.gold !== undefined) ? 'gold' : 'large-agreement';
}

/**
 * DS+ on held-out rows, decided by the router's own rule (`shunt` at the row's run delta) with the
 * given learnable model's probabilities (one per row) or none: a row sent to the large model takes the
 * answer it gave in the run.
 */
export function dsPlusOutcome(rows: readonly HeldOutRow[], basis: AccuracyBasis, learnable?: readonly ArrayLike<number>[]): HeldOutOutcome {
  let correct = 0;
  let sentToLarge = 0;
  rows.forEach((row, i) => {
    const decision = shunt(row.delta, row.p1, learnable?.[i]);
    const answer = decision.source === 'large' ? row.answer.index : decision.index;
    if (decision.source === 'large') sentToLarge += 1;
    if (answer === (basis === 'gold' ? row.gold : row.answer.index)) correct += 1;
  });
  return { rows: rows.length, correct, sentToLarge };
}

export interface GateInput {
  heldOut: readonly HeldOutRow[];
  /** The learnable version in use now (its probabilities per held-out row), or none: the specific model alone. */
  current: { version: string; probs: readonly ArrayLike<number>[] } | null;
  /** The new version's probabilities per held-out row. */
  candidate: readonly ArrayLike<number>[];
}

/** The promotion gate on the held-out rows; with none, nothing shows the version is no worse, so it stays a candidate. */
export function checkPromotion(input: GateInput): PromotionRecord {
  const { heldOut, current, candidate } = input;
  const basis = heldOutBasis(heldOut);
  const comparedWith = current ? `learnable ${current.version}` : 'specific only';
  if (heldOut.length === 0) {
    return {
      promoted: false,
      reason: 'Kept as a candidate: no held-out large-model answers to compare DS+ on (the runs sent no rows to the large model, or too few to hold some out).',
      basis,
      heldOutRows: 0,
      comparedWith,
      accuracy: null,
      queryShare: null,
    };
  }
  const decision = promotionGate({ basis, without: dsPlusOutcome(heldOut, basis, current?.probs), with: dsPlusOutcome(heldOut, basis, candidate) });
  return {
    promoted: decision.promote,
    reason: `${decision.reason} Without it: ${comparedWith}.`,
    basis,
    heldOutRows: heldOut.length,
    comparedWith,
    accuracy: decision.accuracy,
    queryShare: decision.queryShare,
  };
}
