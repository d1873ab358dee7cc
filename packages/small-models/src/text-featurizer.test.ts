import { FeaturizerSchema } from '@datashunt/contracts';
import { InvalidInputError } from './errors.js';
import { createBatchFeaturizer } from './featurizer.js';
import { PixelBatchFeaturizer } from './pixel-featurizer.js';
import { HashedNgramEncoder, VocabEncoder, type HashedNgramsConfig, type VocabTokensConfig } from './text-featurizer.js';
import { fnv1a, forEachToken } from './tokenizer.js';

const hashed = (over: Partial<HashedNgramsConfig> = {}) =>
  FeaturizerSchema.parse({ kind: 'hashed-ngrams', buckets: 1000, maxTokens: 16, ngrams: 2, ...over }) as HashedNgramsConfig;

function tokens(text: string): string[] {
  const out: string[] = [];
  forEachToken(text, (s, e) => out.push(text.slice(s, e)) > 0);
  return out;
}

function encode(config: HashedNgramsConfig, text: string): number[] {
  const out = new Int32Array(config.maxTokens);
  return Array.from(out.subarray(0, new HashedNgramEncoder(config).encode(text, out, 0)));
}

describe('tokenizer', () => {
  it('splits words on whitespace and makes each punctuation character a token', () => {
    expect(tokens("Don't stop!!  café\tnaïve, 42x")).toEqual(['Don', "'", 't', 'stop', '!', '!', 'café', 'naïve', ',', '42x']);
    expect(tokens('   ')).toEqual([]);
  });

  it('hashes with 32-bit FNV-1a', () => {
    // Reference values of FNV-1a 32: "" -> 0x811c9dc5, "a" -> 0xe40c292c.
    expect(fnv1a('', 0, 0)).toBe(0x811c9dc5);
    expect(fnv1a('xa', 1, 2)).toBe(0xe40c292c);
  });
});

describe('hashed n-gram featurizer', () => {
  it('interleaves unigram and bigram buckets, lowercases, and is deterministic', () => {
    const ids = encode(hashed(), 'Good coffee');
    expect(ids).toHaveLength(3); // good, coffee, good+coffee
    expect(ids).toEqual(encode(hashed(), 'good   COFFEE'));
    expect(ids[0]).toBe(fnv1a('good', 0, 4) % 1000);
    expect(ids[1]).toBe(fnv1a('coffee', 0, 6) % 1000);
    expect(encode(hashed({ ngrams: 1 }), 'Good coffee')).toEqual(ids.slice(0, 2));
    expect(encode(hashed({ ngrams: 3 }), 'a b c')).toHaveLength(6); // a, b, ab, c, bc, abc
  });

  it('stops at maxTokens', () => {
    expect(encode(hashed({ maxTokens: 4 }), 'one two three four five')).toHaveLength(4);
  });

  it('pads a batch to its longest row with a 0/1 mask and int64 ids', () => {
    const [ids, mask] = createBatchFeaturizer(hashed()).featurize(['a b', '', 'c'], 0);
    expect(ids!.dims).toEqual([3, 3]);
    expect(ids!.type).toBe('int64');
    const row0 = encode(hashed(), 'a b');
    expect(Array.from(ids!.data as BigInt64Array, Number)).toEqual([...row0, 0, 0, 0, encode(hashed(), 'c')[0], 0, 0]);
    expect(Array.from(mask!.data)).toEqual([1, 1, 1, 0, 0, 0, 1, 0, 0]);
  });

  it('refuses a non-text row, naming it', () => {
    expect(() => createBatchFeaturizer(hashed()).featurize(['ok', [1, 2]], 10)).toThrow(new InvalidInputError('row 11: a text model needs a string input, got an array of 2'));
  });
});

describe('vocabulary featurizer', () => {
  const config = FeaturizerSchema.parse({ kind: 'vocab-tokens', vocabKey: 'vocab.txt', maxTokens: 8, inputName: 'input_ids', maskName: 'attention_mask' }) as VocabTokensConfig;

  it('maps whole words to line numbers and unknown words to [UNK]', () => {
    const out = new Int32Array(8);
    const n = new VocabEncoder(config, '[PAD]\n[UNK]\ngood\n!\n').encode('Good stuff!', out, 0);
    expect(Array.from(out.subarray(0, n))).toEqual([2, 1, 3]);
  });

  it('uses the element types and the fixed length the model declares', () => {
    const f = createBatchFeaturizer(config, { types: { input_ids: 'int32', attention_mask: 'int64' }, fixedLength: 4 }, '[PAD]\n[UNK]\ngood\n');
    const [ids, mask] = f.featurize(['good good good good good'], 0);
    expect(ids!.data).toEqual(new Int32Array([2, 2, 2, 2]));
    expect(mask!.data).toEqual(new BigInt64Array([1n, 1n, 1n, 1n]));
  });

  it('refuses a vocabulary without the unknown token', () => {
    expect(() => new VocabEncoder(config, 'a\nb\n')).toThrow('vocabulary has no unknown token "[UNK]"');
  });
});

describe('pixel featurizer', () => {
  const pixels = new PixelBatchFeaturizer(FeaturizerSchema.parse({ kind: 'pixels', shape: [2, 2], scale: 0.5 }) as never);

  it('scales rows into a [batch, ...shape] float tensor', () => {
    const [t] = pixels.featurize([[2, 4, 6, 8]], 0);
    expect(t!.dims).toEqual([1, 2, 2]);
    expect(Array.from(t!.data)).toEqual([1, 2, 3, 4]);
  });

  it('refuses NaN, Infinity and a wrong length, naming the row', () => {
    expect(() => pixels.featurize([[1, 2, 3, 4], [1, NaN, 3, 4]], 5)).toThrow('row 6: value 1 is NaN; pixel inputs must be finite numbers');
    expect(() => pixels.featurize([[Infinity, 2, 3, 4]], 0)).toThrow('row 0: value 0 is Infinity');
    expect(() => pixels.featurize([[1, 2, 3]], 0)).toThrow('row 0: expected 4 values (shape 2x2), got 3');
  });
});
