import { softmax, type PixelImage } from '@datashunt/algorithms';
import { naiveBayesLogits, type NaiveBayesParams } from './text-naive-bayes.js';
import { pixelKnnLogits, type PixelKnnParams } from './pixel-knn.js';

export const STAND_IN_FORMAT = 'datashunt-reference-llm/2' as const;

interface StandInCommon {
  format: typeof STAND_IN_FORMAT;
  /** The task it was built for; also the file name in the models directory. */
  name: string;
  labels: string[];
  /** How it was built: training images/texts per class, the sampling seed, the source file. */
  perClass: number;
  seed: number;
  source: string;
  /** Logits are divided by this before the softmax; fitted on a held-out sample so confidences mean something. */
  temperature: number;
}

export type StandInModel =
  | (StandInCommon & { kind: 'text'; naiveBayes: NaiveBayesParams })
  | (StandInCommon & { kind: 'image'; knn: PixelKnnParams });

export type StandInInput = { kind: 'text'; text: string } | { kind: 'image'; image: PixelImage };

/** Raw scores over all of the model's labels (before temperature). */
export function standInLogits(model: StandInModel, input: StandInInput): number[] {
  if (model.kind === 'text' && input.kind === 'text') return naiveBayesLogits(model.naiveBayes, input.text);
  if (model.kind === 'image' && input.kind === 'image') return pixelKnnLogits(model.knn, input.image, model.labels.length);
  throw new Error(`stand-in ${model.name} reads ${model.kind} inputs, got ${input.kind}`);
}

/**
 * The answer distribution over the allowed labels only, renormalised: a pruned (hard) prompt shrinks the
 * choice exactly as it would for a real model. Sorted most probable first.
 */
export function allowedLabelProbabilities(model: StandInModel, input: StandInInput, allowedLabels: readonly string[]): Array<{ label: string; p: number }> {
  const logits = standInLogits(model, input);
  const indices = allowedLabels.map((label) => {
    const index = model.labels.indexOf(label);
    if (index < 0) throw new Error(`stand-in ${model.name} does not know label ${JSON.stringify(label)}`);
    return index;
  });
  const probs = softmax(indices.map((i) => logits[i]! / model.temperature));
  return allowedLabels.map((label, i) => ({ label, p: probs[i]! })).sort((a, b) => b.p - a.p);
}

/** Candidate temperatures, log-spaced over 1e-2..1e4: wide enough for NB log-likelihoods and pixel distances. */
const TEMPERATURES = Array.from({ length: 61 }, (_, i) => 10 ** (-2 + i / 10));

/** The temperature with the least negative log-likelihood of the gold labels (1 without data). */
export function fitTemperature(logitRows: readonly number[][], gold: readonly number[]): number {
  if (logitRows.length === 0) return 1;
  let best = { temperature: 1, nll: Infinity };
  for (const temperature of TEMPERATURES) {
    let nll = 0;
    logitRows.forEach((logits, i) => {
      nll -= Math.log(Math.max(softmax(logits.map((z) => z / temperature))[gold[i]!]!, 1e-12));
    });
    if (nll < best.nll) best = { temperature, nll };
  }
  return best.temperature;
}
