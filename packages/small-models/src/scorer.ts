import type { ModelMeta } from '@datashunt/contracts';
import type { ModelInput } from './feeds.js';
import { openModel, runBatch, type OpenModel, type SessionOptions } from './onnx-session.js';
import type { ModelRegistry } from './registry.js';

export interface ScorerOptions extends SessionOptions {
  /** Rows per onnxruntime call (default 256). */
  batchSize?: number;
}

/** One model version loaded for inference: inputs in, class probabilities (meta.labels order) out. */
export class Scorer {
  readonly provider: string;
  private readonly batchSize: number;

  private constructor(
    readonly meta: ModelMeta,
    private readonly model: OpenModel,
    options: ScorerOptions,
  ) {
    this.provider = model.provider;
    this.batchSize = options.batchSize ?? 256;
  }

  /**
   * Loads a registered version. Requested providers are tried in order ('cuda' falls back to CPU with
   * one warn line where this onnxruntime-node build lacks it); `provider` records the one used.
   */
  static async load(registry: ModelRegistry, name: string, version: string, options: ScorerOptions): Promise<Scorer> {
    const { meta, onnx } = await registry.get(name, version);
    const vocab = meta.featurizer.kind === 'vocab-tokens' ? (await registry.getExtra(name, version, meta.featurizer.vocabKey)).toString('utf8') : undefined;
    return Scorer.fromBytes(onnx, meta, options, vocab);
  }

  /** Loads a model that is not (yet) in a registry: benchmarks, tests, evaluation of a local file. */
  static async fromBytes(onnx: Uint8Array, meta: ModelMeta, options: ScorerOptions, vocabText?: string): Promise<Scorer> {
    const scorer = new Scorer(meta, await openModel(onnx, meta, options, vocabText), options);
    options.logger?.info({ model: meta.name, version: meta.version, provider: scorer.provider }, 'small model loaded');
    return scorer;
  }

  get version(): string {
    return this.meta.version;
  }

  /**
   * Class probabilities per input, in batches. Softmax is applied when the model outputs logits.
   * Throws InvalidInputError naming the row for a bad input (NaN pixel, text for an image model...).
   */
  async score(inputs: readonly ModelInput[]): Promise<Float32Array[]> {
    const classes = this.meta.labels.length;
    const out: Float32Array[] = [];
    for (let from = 0; from < inputs.length; from += this.batchSize) {
      const { data } = await runBatch(this.model.session, this.model.featurizer, inputs.slice(from, from + this.batchSize), from, this.meta.output.name);
      for (let r = 0; r < data.length / classes; r++) {
        const probs = data.subarray(r * classes, (r + 1) * classes);
        if (this.meta.output.kind === 'logits') softmaxInPlace(probs);
        out.push(probs);
      }
    }
    return out;
  }

  async release(): Promise<void> {
    await this.model.session.release();
  }
}

function softmaxInPlace(z: Float32Array): void {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += z[i] = Math.exp(z[i]! - max);
  for (let i = 0; i < z.length; i++) z[i]! /= sum;
}
