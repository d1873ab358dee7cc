import type { FeaturizerConfig } from '@datashunt/contracts';
import { describeInput, type ModelInput } from './feeds.js';
import { PixelBatchFeaturizer } from './pixel-featurizer.js';
import { HashedNgramEncoder } from './text-featurizer.js';
import { InvalidInputError } from './errors.js';
import { MlpNetwork, TextNetwork, type Network } from './networks.js';
import { classCount, type ClassifierWeights } from './weights.js';
import { softmax } from '@datashunt/algorithms';

/** Per-row features for the in-process networks: bucket ids for text, scaled values for pixels. */
export type RowFeatures = Int32Array | Float32Array;

/**
 * Featurizes rows for the trainer with the same encoders the scorer's batch featurizers use, so a row
 * gets identical features at training and at scoring time. Throws InvalidInputError naming the row.
 */
export function rowFeatures(featurizer: FeaturizerConfig, inputs: readonly ModelInput[], firstRowIndex = 0): RowFeatures[] {
  if (featurizer.kind === 'hashed-ngrams') {
    const encoder = new HashedNgramEncoder(featurizer);
    const scratch = new Int32Array(featurizer.maxTokens);
    return inputs.map((input, r) => {
      if (typeof input !== 'string') throw new InvalidInputError(`row ${firstRowIndex + r}: a text model needs a string input, got ${describeInput(input)}`);
      return scratch.slice(0, encoder.encode(input, scratch, 0));
    });
  }
  if (featurizer.kind === 'pixels') {
    const pixels = new PixelBatchFeaturizer(featurizer);
    return inputs.map((input, r) => {
      const out = new Float32Array(pixels.width);
      pixels.encode(input, out, 0, firstRowIndex + r);
      return out;
    });
  }
  throw new InvalidInputError(`featurizer "${featurizer.kind}" is for registered models only; in-process training uses hashed-ngrams or pixels`);
}

export function createNetwork(weights: ClassifierWeights, training: boolean): Network<RowFeatures> {
  return (weights.family === 'text-fasttext' ? new TextNetwork(weights, training) : new MlpNetwork(weights, training)) as Network<RowFeatures>;
}

/** The trainer's own forward pass: class probabilities per input (what the exported ONNX must reproduce). */
export function predictProbabilities(weights: ClassifierWeights, featurizer: FeaturizerConfig, inputs: readonly ModelInput[]): Float32Array[] {
  const network = createNetwork(weights, false);
  const logits = new Float64Array(classCount(weights));
  return rowFeatures(featurizer, inputs).map((x) => {
    network.forward(x, logits);
    return Float32Array.from(softmax(logits));
  });
}
