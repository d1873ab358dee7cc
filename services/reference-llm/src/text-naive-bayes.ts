/** Multinomial Naive Bayes over word unigrams and bigrams: the stand-in's text reader. */

export interface NaiveBayesParams {
  /** Per feature, its count in each class's training texts (label order). */
  featureCounts: Record<string, number[]>;
  /** Total feature count per class. */
  classTotals: number[];
  /** Training texts per class (the prior). */
  classDocs: number[];
  /** Distinct features seen in training: the smoothing's denominator, counted once at training. */
  vocabulary: number;
  alpha: number;
}

/** Long inputs are read up to here: enough to classify, bounded work per request. */
const MAX_CHARS = 20_000;
const LAPLACE_ALPHA = 1;

export function textFeatures(text: string): string[] {
  const words = text.slice(0, MAX_CHARS).toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
  const bigrams = words.slice(1).map((word, i) => `${words[i]} ${word}`);
  return [...words, ...bigrams];
}

export function trainNaiveBayes(texts: readonly string[], classOf: readonly number[], classes: number): NaiveBayesParams {
  const featureCounts: Record<string, number[]> = Object.create(null);
  const classTotals = new Array<number>(classes).fill(0);
  const classDocs = new Array<number>(classes).fill(0);
  texts.forEach((text, i) => {
    const c = classOf[i]!;
    classDocs[c]!++;
    for (const feature of textFeatures(text)) {
      (featureCounts[feature] ??= new Array<number>(classes).fill(0))[c]!++;
      classTotals[c]!++;
    }
  });
  return { featureCounts, classTotals, classDocs, vocabulary: Object.keys(featureCounts).length, alpha: LAPLACE_ALPHA };
}

/** Log joint likelihood per class; features never seen in training carry no evidence and are skipped. */
export function naiveBayesLogits(params: NaiveBayesParams, text: string): number[] {
  const docs = params.classDocs.reduce((a, b) => a + b, 0);
  const logits = params.classDocs.map((n) => Math.log(n / docs));
  const denominators = params.classTotals.map((total) => Math.log(total + params.alpha * params.vocabulary));
  for (const feature of textFeatures(text)) {
    const counts = params.featureCounts[feature];
    if (!counts) continue;
    for (let c = 0; c < logits.length; c++) logits[c]! += Math.log(counts[c]! + params.alpha) - denominators[c]!;
  }
  return logits;
}
