import { guaranteeRound } from './guarantee-rounds.js';
import { bargainThreshold, type LabelledScoredRow } from './guarantee-threshold.js';
import { mulberry32 } from './seeded-random.js';

function batch(n: number, seed: number): LabelledScoredRow[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const confidence = 1 - 0.75 * rng() ** 2.5;
    return { confidence, smallLabel: rng() < confidence ? 'a' : 'b', largeLabel: 'a' };
  });
}

const target = { kind: 'agreement', T: 0.9 } as const;

describe('guaranteeRound', () => {
  it('buys in rounds exactly what one uninterrupted walk buys, each row once, and chooses the same threshold', async () => {
    const rows = batch(2000, 3);
    const direct = await bargainThreshold(rows, target, async (ix) => ix.map((i) => rows[i]!.largeLabel), { alpha: 0.1, rng: mulberry32(7) });

    const known = new Map<number, string>();
    const asked: number[] = [];
    let rounds = 0;
    for (;;) {
      const step = await guaranteeRound({ rows, target, alpha: 0.1, seed: 7, known, unanswerable: new Set() });
      if (step.kind === 'done') {
        expect(step.rounds).toBe(rounds);
        expect(step.choice.threshold).toBe(direct.threshold);
        expect([...step.choice.largeAnswers.keys()].sort()).toEqual([...direct.largeAnswers.keys()].sort());
        break;
      }
      expect(step.round).toBe(rounds);
      // A replay of the same round asks for the same batch (a retried job buys nothing new).
      expect(await guaranteeRound({ rows, target, alpha: 0.1, seed: 7, known, unanswerable: new Set() })).toEqual(step);
      const fresh = step.rows.filter((i) => !known.has(i));
      expect(fresh.length).toBeGreaterThan(0);
      asked.push(...fresh);
      for (const i of step.rows) known.set(i, rows[i]!.largeLabel);
      rounds += 1;
    }
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.length).toBe(direct.largeAnswers.size);
    expect(direct.threshold).not.toBeNull();
  });

  it('stops the walk at a round the large model could not answer, keeping the thresholds passed before', async () => {
    const rows = batch(2000, 3);
    const known = new Map<number, string>();
    let step = await guaranteeRound({ rows, target, alpha: 0.1, seed: 7, known, unanswerable: new Set() });
    // Answer the first rounds, then lose one.
    for (let r = 0; r < 6 && step.kind === 'ask'; r++) {
      for (const i of step.rows) known.set(i, rows[i]!.largeLabel);
      step = await guaranteeRound({ rows, target, alpha: 0.1, seed: 7, known, unanswerable: new Set() });
    }
    if (step.kind !== 'ask') throw new Error('expected the walk to need more rounds');
    const lost = new Set(step.rows);
    const done = await guaranteeRound({ rows, target, alpha: 0.1, seed: 7, known, unanswerable: lost });
    if (done.kind !== 'done') throw new Error('expected the walk to stop');
    const failed = done.choice.steps[done.choice.steps.length - 1]!;
    expect(failed).toMatchObject({ passed: false, why: expect.stringMatching(/^the large model could not answer/) });
    const passed = done.choice.steps.filter((s) => s.passed);
    expect(done.choice.threshold).toBe(passed.length ? passed[passed.length - 1]!.threshold : null);
  });
});
