import { naiveBayesLogits, textFeatures, trainNaiveBayes } from './text-naive-bayes';

describe('textFeatures', () => {
  it('gives lower-cased words and bigrams, keeping inner apostrophes', () => {
    expect(textFeatures("Don't WIN, now!")).toEqual(["don't", 'win', 'now', "don't win", 'win now']);
    expect(textFeatures('...')).toEqual([]);
  });
});

describe('naive Bayes', () => {
  const params = trainNaiveBayes(['free cash prize', 'claim free cash', 'project meeting agenda', 'meeting notes attached'], [0, 0, 1, 1], 2);

  it('counts features per class', () => {
    expect(params.featureCounts['free cash']).toEqual([2, 0]);
    expect(params.classDocs).toEqual([2, 2]);
    expect(params.classTotals).toEqual([5 + 5, 5 + 5]);
  });

  it('prefers the class whose words it saw, and has no evidence from unseen words', () => {
    const [spam, ham] = naiveBayesLogits(params, 'Free cash!');
    expect(spam).toBeGreaterThan(ham!);
    const unseen = naiveBayesLogits(params, 'zebra quantum');
    expect(unseen[0]).toBeCloseTo(unseen[1]!);
  });
});
