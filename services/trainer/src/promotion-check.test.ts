import type { HeldOutRow } from './distill-set';
import { checkPromotion, dsPlusOutcome, heldOutBasis } from './promotion-check';

/** A held-out row the specialist was unsure of (0.6 < delta 0.9), answered `large` by the large model. */
function row(id: number, large: number, gold?: number): HeldOutRow<string> {
  return { id, input: `row ${id}`, p1: [0.6, 0.4], delta: 0.9, answer: { set: 'answered', index: large, c_l: 0.95 }, ...(gold === undefined ? {} : { gold }) };
}
const sure = (index: number) => (index === 0 ? [0.95, 0.05] : [0.05, 0.95]);
const unsure = [0.5, 0.5];

describe('dsPlusOutcome', () => {
  it('routes with the router’s rule at the row’s delta: the learnable answers only when it reaches delta', () => {
    const rows = [row(1, 0, 0), row(2, 1, 0), { ...row(3, 1, 1), delta: 0.99 }];
    // Learnable sure on rows 1 and 2 (answers 0), but row 3's run used delta 0.99, so it goes to the large model.
    const outcome = dsPlusOutcome(rows, 'gold', [sure(0), sure(0), sure(0)]);
    expect(outcome).toEqual({ rows: 3, correct: 3, sentToLarge: 1 });
    expect(dsPlusOutcome(rows, 'gold')).toEqual({ rows: 3, correct: 2, sentToLarge: 3 });
    expect(dsPlusOutcome(rows, 'large-agreement')).toEqual({ rows: 3, correct: 3, sentToLarge: 3 });
  });
});

describe('checkPromotion', () => {
  it('uses gold only when every held-out row carries a label', () => {
    expect(heldOutBasis([row(1, 0, 0), row(2, 1, 1)])).toBe('gold');
    expect(heldOutBasis([row(1, 0, 0), row(2, 1)])).toBe('large-agreement');
    expect(heldOutBasis([])).toBe('large-agreement');
  });

  it('refuses a version that makes DS+ less accurate, with both numbers in the reason', () => {
    // Gold: the large model is right on all 4 rows; the new version takes 2 of them and gets 1 wrong.
    const heldOut = [row(1, 0, 0), row(2, 1, 1), row(3, 0, 0), row(4, 1, 1)];
    const record = checkPromotion({ heldOut, current: null, candidate: [sure(1), sure(1), unsure, unsure] });
    expect(record).toMatchObject({
      promoted: false,
      basis: 'gold',
      heldOutRows: 4,
      comparedWith: 'specific only',
      accuracy: { without: 1, with: 0.75 },
      queryShare: { without: 1, with: 0.5 },
    });
    expect(record.reason).toContain('Kept as a candidate: lower accuracy');
    expect(record.reason).toContain('75.00% with it vs 100.00% without');
    expect(record.reason).toContain('query share 50.00% vs 100.00%');
  });

  it('promotes a version that is right where it answers and sends fewer rows to the large model', () => {
    const heldOut = [row(1, 0, 0), row(2, 1, 1), row(3, 0, 0), row(4, 1, 1)];
    const record = checkPromotion({ heldOut, current: null, candidate: [sure(0), sure(1), unsure, unsure] });
    expect(record).toMatchObject({ promoted: true, accuracy: { without: 1, with: 1 }, queryShare: { without: 1, with: 0.5 } });
    expect(record.reason).toMatch(/^Promoted/);
  });

  it('compares with the learnable version in use now, and refuses one that sends more rows to the large model', () => {
    const heldOut = [row(1, 0), row(2, 1)];
    const record = checkPromotion({ heldOut, current: { version: 'v-old', probs: [sure(0), sure(1)] }, candidate: [sure(0), unsure] });
    expect(record).toMatchObject({ promoted: false, basis: 'large-agreement', comparedWith: 'learnable v-old', queryShare: { without: 0, with: 0.5 } });
    expect(record.reason).toContain('more rows sent to the large model');
    expect(record.reason).toContain('agreement with the large model 100.00% with it vs 100.00% without');
  });

  it('keeps the version a candidate when there is nothing held out to compare on', () => {
    expect(checkPromotion({ heldOut: [], current: null, candidate: [] })).toMatchObject({ promoted: false, heldOutRows: 0, accuracy: null, queryShare: null });
  });
});
