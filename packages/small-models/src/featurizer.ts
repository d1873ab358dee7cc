import type { FeaturizerConfig } from '@datashunt/contracts';
import type { BatchFeaturizer } from './feeds.js';
import { PixelBatchFeaturizer } from './pixel-featurizer.js';
import type { InputPlan } from './signature.js';
import { HashedNgramEncoder, TokenBatchFeaturizer, VocabEncoder } from './text-featurizer.js';

/**
 * The batch featurizer of a model: its spec from ModelMeta, shaped by what the model declares
 * (element types, a static token length). `vocabText` is the vocabulary file of 'vocab-tokens'.
 */
export function createBatchFeaturizer(config: FeaturizerConfig, plan: InputPlan = { types: {} }, vocabText?: string): BatchFeaturizer {
  if (config.kind === 'pixels') return new PixelBatchFeaturizer(config);
  const encoder = config.kind === 'hashed-ngrams' ? new HashedNgramEncoder(config) : new VocabEncoder(config, vocabText ?? missingVocab(config.vocabKey));
  const mask = config.maskName ? { name: config.maskName, type: plan.types[config.maskName] ?? 'float32' } : undefined;
  return new TokenBatchFeaturizer(encoder, { ids: { name: config.inputName, type: plan.types[config.inputName] ?? 'int64' }, mask }, plan.fixedLength);
}

function missingVocab(key: string): never {
  throw new TypeError(`the vocab-tokens featurizer needs its vocabulary file "${key}"`);
}
