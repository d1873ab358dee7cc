import type { FeaturizerConfig } from '@datashunt/contracts';
import { InvalidInputError } from './errors.js';
import { describeInput, int32sToFeed, type BatchFeaturizer, type FeedTensor, type FeedType, type ModelInput } from './feeds.js';
import { combineHashes, fnv1a, forEachToken } from './tokenizer.js';

export type HashedNgramsConfig = Extract<FeaturizerConfig, { kind: 'hashed-ngrams' }>;
export type VocabTokensConfig = Extract<FeaturizerConfig, { kind: 'vocab-tokens' }>;

/** Writes one text's token ids into `out` from `offset` and returns how many (at most maxTokens). */
export interface TokenEncoder {
  readonly maxTokens: number;
  readonly padId: number;
  encode(text: string, out: Int32Array, offset: number): number;
}

/**
 * fastText-style features: each word and each n-gram of up to `ngrams` consecutive words is hashed
 * (FNV-1a) into one of `buckets` embedding rows. Unigrams and n-grams are interleaved in text order,
 * so truncation at maxTokens keeps the head of the text with all its n-grams.
 */
export class HashedNgramEncoder implements TokenEncoder {
  readonly maxTokens: number;
  readonly padId = 0;

  constructor(private readonly config: HashedNgramsConfig) {
    this.maxTokens = config.maxTokens;
  }

  encode(text: string, out: Int32Array, offset: number): number {
    const { buckets, ngrams, maxTokens } = this.config;
    const s = this.config.lowercase ? text.toLowerCase() : text;
    let count = 0;
    let words = 0;
    let prev = 0;
    let prevPair = 0;
    forEachToken(s, (start, end) => {
      const h = fnv1a(s, start, end);
      out[offset + count++] = h % buckets;
      if (ngrams >= 2 && words >= 1 && count < maxTokens) {
        const pair = combineHashes(prev, h);
        out[offset + count++] = pair % buckets;
        if (ngrams >= 3 && words >= 2 && count < maxTokens) out[offset + count++] = combineHashes(prevPair, h) % buckets;
        prevPair = pair;
      }
      prev = h;
      words += 1;
      return count < maxTokens;
    });
    return count;
  }
}

/** Whole-word lookup in a vocabulary file (one token per line, id = line number from 0). */
export class VocabEncoder implements TokenEncoder {
  readonly maxTokens: number;
  readonly padId: number;
  private readonly ids: Map<string, number>;
  private readonly unkId: number;

  constructor(private readonly config: VocabTokensConfig, vocabText: string) {
    this.maxTokens = config.maxTokens;
    this.padId = config.padId;
    const tokens = vocabText.split(/\r?\n/);
    if (tokens[tokens.length - 1] === '') tokens.pop();
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    const unk = this.ids.get(config.unkToken);
    if (unk === undefined) throw new InvalidInputError(`vocabulary has no unknown token "${config.unkToken}"`);
    this.unkId = unk;
  }

  encode(text: string, out: Int32Array, offset: number): number {
    const s = this.config.lowercase ? text.toLowerCase() : text;
    let count = 0;
    forEachToken(s, (start, end) => {
      out[offset + count++] = this.ids.get(s.slice(start, end)) ?? this.unkId;
      return count < this.maxTokens;
    });
    return count;
  }
}

export interface TokenFeedNames {
  ids: { name: string; type: FeedType };
  mask?: { name: string; type: FeedType } | undefined;
}

/**
 * Batches of token rows as [batch, length] ids plus a 0/1 mask, padded to the batch's longest row
 * (not maxTokens), so short texts cost less. The per-row scratch buffer is reused across batches.
 */
export class TokenBatchFeaturizer implements BatchFeaturizer {
  private scratch = new Int32Array(0);

  /** `fixedLength`: pad every batch to this length (a model with a static length dimension). */
  constructor(
    private readonly encoder: TokenEncoder,
    private readonly names: TokenFeedNames,
    private readonly fixedLength?: number,
  ) {}

  featurize(rows: readonly ModelInput[], firstRowIndex: number): FeedTensor[] {
    const max = this.encoder.maxTokens;
    if (this.scratch.length < rows.length * max) this.scratch = new Int32Array(rows.length * max);
    const counts = new Int32Array(rows.length);
    let length = this.fixedLength ?? 1;
    rows.forEach((row, r) => {
      if (typeof row !== 'string') throw new InvalidInputError(`row ${firstRowIndex + r}: a text model needs a string input, got ${describeInput(row)}`);
      counts[r] = Math.min(this.encoder.encode(row, this.scratch, r * max), this.fixedLength ?? max);
      if (!this.fixedLength) length = Math.max(length, counts[r]!);
    });
    const ids = new Int32Array(rows.length * length).fill(this.encoder.padId);
    const mask = new Int32Array(rows.length * length);
    for (let r = 0; r < rows.length; r++) {
      ids.set(this.scratch.subarray(r * max, r * max + counts[r]!), r * length);
      mask.fill(1, r * length, r * length + counts[r]!);
    }
    const dims = [rows.length, length];
    const feeds = [int32sToFeed(this.names.ids.name, this.names.ids.type, ids, dims)];
    if (this.names.mask) feeds.push(int32sToFeed(this.names.mask.name, this.names.mask.type, mask, dims));
    return feeds;
  }
}
