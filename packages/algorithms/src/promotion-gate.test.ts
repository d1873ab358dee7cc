import { promotionGate } from './promotion-gate.js';

const base = { rows: 1000, correct: 900, sentToLarge: 300 };

describe('promotionGate', () => {
  it('refuses a version that is less accurate, even if it sends fewer rows to the large model', () => {
    const d = promotionGate({ basis: 'gold', without: base, with: { rows: 1000, correct: 899, sentToLarge: 200 } });
    expect(d.promote).toBe(false);
    expect(d.accuracy).toEqual({ without: 0.9, with: 0.899 });
    expect(d.queryShare).toEqual({ without: 0.3, with: 0.2 });
    expect(d.reason).toBe('Kept as a candidate: lower accuracy on 1000 held-out rows (accuracy 89.90% with it vs 90.00% without, query share 20.00% vs 30.00%).');
  });

  it('refuses a version that sends more rows to the large model, and names both failings', () => {
    expect(promotionGate({ basis: 'gold', without: base, with: { ...base, sentToLarge: 301 } }).promote).toBe(false);
    const d = promotionGate({ basis: 'large-agreement', without: base, with: { rows: 1000, correct: 850, sentToLarge: 400 } });
    expect(d.reason).toMatch(/^Kept as a candidate: lower agreement with the large model and more rows sent to the large model/);
  });

  it('keeps a version that ties on both counts as a candidate: no evidence of a gain', () => {
    const d = promotionGate({ basis: 'gold', without: base, with: base });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/^Kept as a candidate: no gain on 1000 held-out rows/);
  });

  it('accepts a version better on one count and no worse on the other, and a better one', () => {
    expect(promotionGate({ basis: 'gold', without: base, with: { ...base, sentToLarge: 299 } }).promote).toBe(true);
    expect(promotionGate({ basis: 'gold', without: base, with: { ...base, correct: 901 } }).promote).toBe(true);
    const d = promotionGate({ basis: 'gold', without: base, with: { rows: 1000, correct: 910, sentToLarge: 250 } });
    expect(d.promote).toBe(true);
    expect(d.reason).toMatch(/^Promoted: .*accuracy 91\.00% with it vs 90\.00% without, query share 25\.00% vs 30\.00%/);
  });

  it('compares only the same held-out rows and real counts', () => {
    expect(() => promotionGate({ basis: 'gold', without: base, with: { ...base, rows: 999 } })).toThrow(/same held-out rows/);
    expect(() => promotionGate({ basis: 'gold', without: base, with: { ...base, correct: 1001 } })).toThrow(/"with" is not a count/);
  });
});
