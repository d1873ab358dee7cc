import { chooseDelta, dollarsFor, groupsById, groupsByLabel, lowerBound, summarizeRun, type ResultRow } from './aggregate';

const price = { name: 'test', inputPer1M: 0.15, outputPer1M: 0.6 };
const row = (id: string, label: string, source: ResultRow['source'], tokens = { input: 0, output: 0 }): ResultRow => ({ id, label, source, tokens });

describe('summarizeRun', () => {
  it('gives head / medium / tail accuracy and query proportions from label groups', () => {
    const gold = new Map([
      ['a', '0'],
      ['b', '0'],
      ['c', '5'],
      ['d', '9'],
      ['e', '9'],
    ]);
    const results = [row('a', '0', 'small'), row('b', '1', 'small'), row('c', '5', 'large', { input: 100, output: 1 }), row('d', '9', 'large', { input: 100, output: 1 }), row('e', '8', 'fallback')];
    const s = summarizeRun(results, gold, ['0', '1', '5', '8', '9'], groupsByLabel({ head: ['0', '1'], medium: ['5'], tail: ['8', '9'] }), price);
    expect(s.accuracy).toBeCloseTo(3 / 5);
    expect(s.perGroup.head).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(s.perGroup.medium).toEqual({ correct: 1, total: 1, accuracy: 1 });
    expect(s.perGroup.tail).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(s.queryProportion).toBeCloseTo(3 / 5);
    expect(s.queryProportionByGroup).toEqual({ head: 0, medium: 1, tail: 1 });
    expect(s.bySource).toEqual({ small: 2, learnable: 0, large: 2, fallback: 1 });
    expect(s.perClass['1']).toEqual({ correct: 0, total: 0, accuracy: null });
    expect(s.perClass['9']).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(s.tokens).toEqual({ input: 200, output: 2 });
    expect(s.dollars).toBeCloseTo((200 * 0.15 + 2 * 0.6) / 1e6, 12);
  });

  it('splits spam into easy-ham / hard-ham / spam from the rows own groups', () => {
    const gold = new Map([
      ['m1', 'ham'],
      ['m2', 'ham'],
      ['m3', 'spam'],
    ]);
    const groups = groupsById(new Map([
      ['m1', 'easy-ham'],
      ['m2', 'hard-ham'],
      ['m3', 'spam'],
    ]));
    const s = summarizeRun([row('m1', 'ham', 'small'), row('m2', 'spam', 'large'), row('m3', 'spam', 'learnable')], gold, ['ham', 'spam'], groups, price);
    expect(s.perGroup).toEqual({
      'easy-ham': { correct: 1, total: 1, accuracy: 1 },
      'hard-ham': { correct: 0, total: 1, accuracy: 0 },
      spam: { correct: 1, total: 1, accuracy: 1 },
    });
    expect(s.queryProportionByGroup['hard-ham']).toBe(1);
    expect(s.queryProportionByGroup['easy-ham']).toBe(0);
  });

  it('falls back to the result gold and counts rows without any gold out of accuracy', () => {
    const s = summarizeRun([{ ...row('x', 'a', 'small'), gold: 'a' }, row('y', 'b', 'small')], new Map(), ['a', 'b'], () => undefined, price);
    expect(s.accuracy).toBe(1);
    expect(s.rows).toBe(2);
    expect(s.perGroup).toEqual({});
  });
});

describe('lowerBound', () => {
  it('is the larger of the easy rows scoring time and hard rows over the rate limit', () => {
    // 600 hard rows at 6,000 rpm = 6 s; scoring 0.5 s.
    expect(lowerBound({ easyScoringSeconds: 0.5, hardRows: 600, rateLimitRpm: 6000, wallSeconds: 7.5 })).toEqual({ easyScoringSeconds: 0.5, llmSeconds: 6, seconds: 6, ratio: 1.25 });
    const scoringBound = lowerBound({ easyScoringSeconds: 2, hardRows: 10, rateLimitRpm: 6000, wallSeconds: 3 });
    expect(scoringBound.seconds).toBe(2);
    expect(scoringBound.ratio).toBe(1.5);
  });

  it('has no ratio when nothing bounds the run', () => {
    expect(lowerBound({ easyScoringSeconds: 0, hardRows: 0, rateLimitRpm: 60, wallSeconds: 1 }).ratio).toBeNull();
  });
});

describe('chooseDelta', () => {
  const rows = [
    { confidence: 0.99, smallLabel: 'a', largeLabel: 'b', gold: 'a' }, // small right, large wrong: keep it
    { confidence: 0.9, smallLabel: 'a', largeLabel: 'b', gold: 'b' }, // small wrong: must go to the large model
    { confidence: 0.6, smallLabel: 'b', largeLabel: 'b', gold: 'b' }, // both right
  ];

  it('picks the delta with the best simulated accuracy, then the fewest queries', () => {
    const choice = chooseDelta(rows, [0.5, 0.95, 0.999]);
    // 0.5: small everywhere = 2/3; 0.95: 3/3 at 2/3 queries; 0.999: large everywhere = 2/3.
    expect(choice.delta).toBe(0.95);
    expect(choice.accuracy).toBe(1);
    expect(choice.queryProportion).toBeCloseTo(2 / 3);
    expect(choice.curve.map((p) => p.delta)).toEqual([0.5, 0.95, 0.999]);
  });

  it('prefers fewer queries among equally accurate deltas', () => {
    const allRight = rows.map((r) => ({ ...r, smallLabel: r.gold, largeLabel: r.gold }));
    expect(chooseDelta(allRight, [0.999, 0.5, 0.9]).delta).toBe(0.5);
  });

  it('refuses an empty validation set', () => {
    expect(() => chooseDelta([], [0.5])).toThrow(/validation/);
  });
});

describe('dollarsFor', () => {
  it('prices tokens per million', () => {
    expect(dollarsFor({ input: 1_000_000, output: 1_000_000 }, price)).toBeCloseTo(0.75);
  });
});
