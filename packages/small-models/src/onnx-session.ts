import type { ModelMeta } from '@datashunt/contracts';
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { InvalidOnnxError, SignatureMismatchError } from './errors.js';
import { createBatchFeaturizer } from './featurizer.js';
import type { BatchFeaturizer, FeedTensor, ModelInput } from './feeds.js';
import { checkSignature, outputWidthProblem } from './signature.js';

export interface Logger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface SessionOptions {
  /** In order of preference, e.g. ['cuda', 'cpu']; CPU is always the last resort. */
  executionProviders: string[];
  logger?: Logger;
  intraOpNumThreads?: number;
}

/** A loaded, checked model: its session, the provider actually used, and its featurizer. */
export interface OpenModel {
  session: InferenceSession;
  provider: string;
  featurizer: BatchFeaturizer;
}

type ModelSpec = Pick<ModelMeta, 'featurizer' | 'labels' | 'output'>;

/**
 * Loads ONNX bytes, checks them against the spec (signature, then a one-row probe run that also checks
 * an output width the model leaves symbolic). Throws InvalidOnnxError or SignatureMismatchError.
 */
export async function openModel(bytes: Uint8Array, spec: ModelSpec, options: SessionOptions, vocabText?: string): Promise<OpenModel> {
  const { session, provider } = await createSession(bytes, options);
  try {
    const plan = checkSignature(session.inputMetadata, session.outputMetadata, spec);
    const featurizer = createBatchFeaturizer(spec.featurizer, plan, vocabText);
    const probe = await runBatch(session, featurizer, [probeInput(spec)], 0, spec.output.name);
    if (probe.dims[1] !== spec.labels.length) throw new SignatureMismatchError(`model does not match its spec: ${outputWidthProblem(spec.output.name, probe.dims[1]!, spec.labels.length)}`);
    return { session, provider, featurizer };
  } catch (error) {
    await session.release();
    throw error;
  }
}

/**
 * Runs one batch and returns the output tensor's data [rows, classes]. onnxruntime-node runs the
 * session on this thread (its intra-op threads only split the batch's operators), so the batch is
 * featurized and scored one after the other: there is nothing to overlap within one process.
 */
export async function runBatch(
  session: InferenceSession,
  featurizer: BatchFeaturizer,
  rows: readonly ModelInput[],
  firstRowIndex: number,
  outputName: string,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const feeds: Record<string, Tensor> = {};
  for (const f of featurizer.featurize(rows, firstRowIndex)) feeds[f.name] = toTensor(f);
  const out = (await session.run(feeds, [outputName]))[outputName]!;
  return { data: out.data as Float32Array, dims: out.dims };
}

/**
 * Tries the requested providers in order and falls back to CPU; one warn line says which were not
 * available (this onnxruntime-node build bundles CPU only, CUDA needs its provider libraries).
 */
async function createSession(bytes: Uint8Array, options: SessionOptions): Promise<{ session: InferenceSession; provider: string }> {
  const candidates = [...new Set([...options.executionProviders, 'cpu'])];
  const unavailable: Array<{ provider: string; error: string }> = [];
  for (const provider of candidates) {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      });
      if (unavailable.length > 0) {
        options.logger?.warn({ unavailable, provider }, `execution provider ${unavailable.map((u) => u.provider).join(', ')} not available in this onnxruntime-node build; using ${provider}`);
      }
      return { session, provider };
    } catch (error) {
      const message = (error as Error).message;
      if (provider === 'cpu') throw new InvalidOnnxError(`cannot load the ONNX model: ${message}`);
      unavailable.push({ provider, error: message });
    }
  }
  throw new Error('unreachable: cpu is always a candidate');
}

function toTensor(f: FeedTensor): Tensor {
  return new ort.Tensor(f.type, f.data, f.dims);
}

function probeInput(spec: ModelSpec): ModelInput {
  if (spec.featurizer.kind !== 'pixels') return 'probe';
  return new Array<number>(spec.featurizer.shape.reduce((a, b) => a * b, 1)).fill(0);
}
