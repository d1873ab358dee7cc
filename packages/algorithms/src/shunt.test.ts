import { topClass } from './confidence.js';
import { guaranteeShuntTops, shunt } from './shunt.js';

const guaranteeShunt = (threshold: number | null, specific: number[], learnable?: number[]) => guaranteeShuntTops(threshold, topClass(specific), learnable && topClass(learnable));

describe('guaranteeShuntTops', () => {
  it('gives the more confident small model\'s label whatever the threshold, where Algorithm 2 prefers the specific one', () => {
    const specific = [0.85, 0.15];
    const learnable = [0.05, 0.95];
    expect(shunt(0.8, specific, learnable)).toMatchObject({ source: 'small', index: 0 });
    expect(guaranteeShunt(0.8, specific, learnable)).toMatchObject({ source: 'learnable', index: 1, confidence: 0.95 });
    expect(guaranteeShunt(0.9, specific, learnable)).toMatchObject({ source: 'learnable', index: 1 });
    expect(guaranteeShunt(0.96, specific, learnable)).toEqual({ source: 'large', fallbackIndex: 1 });
  });

  it('matches Algorithm 2 without a learnable model, and sends every row large when no threshold was certified', () => {
    expect(guaranteeShunt(0.7, [0.2, 0.8])).toEqual(shunt(0.7, [0.2, 0.8]));
    expect(guaranteeShunt(0.9, [0.2, 0.8])).toEqual(shunt(0.9, [0.2, 0.8]));
    expect(guaranteeShunt(null, [0, 1])).toEqual({ source: 'large', fallbackIndex: 1 });
  });
});
