import { answerConfidence, parseAnswer } from './answer-parsing';

describe('parseAnswer', () => {
  const labels = ['great', 'other', 'N/A.'];

  it.each([
    ['great', 'great'],
    ['  Great \n', 'great'],
    ['"other"', 'other'],
    ["'OTHER'.", 'other'],
    ['“great.”', 'great'],
    ['great.', 'great'],
    ['N/A.', 'N/A.'],
    ['n/a.', 'N/A.'],
  ])('%j -> %j', (text, label) => expect(parseAnswer(text, labels)).toBe(label));

  it.each(['It is great.', 'great, other', 'greatest', '', '""', 'the answer: other'])('%j is not a label', (text) =>
    expect(parseAnswer(text, labels)).toBeNull(),
  );

  it('prefers the exact case when labels differ only by case', () => {
    expect(parseAnswer('A', ['a', 'A'])).toBe('A');
    expect(parseAnswer('a', ['a', 'A'])).toBe('a');
    expect(parseAnswer('a.', ['b', 'A'])).toBe('A');
  });
});

describe('answerConfidence', () => {
  it('is the joint probability of the answer tokens', () => {
    expect(answerConfidence([{ token: 'gre', logprob: Math.log(0.9) }, { token: 'at', logprob: Math.log(0.5) }])).toBeCloseTo(0.45);
  });

  it('is null without logprobs', () => {
    expect(answerConfidence(null)).toBeNull();
    expect(answerConfidence(undefined)).toBeNull();
    expect(answerConfidence([])).toBeNull();
  });
});
