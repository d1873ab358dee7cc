/** A model input row: text for the token featurizers, numbers for the pixel featurizer. */
export type ModelInput = string | number[];

export type FeedType = 'int64' | 'int32' | 'float32';

/** One named input tensor of a batch, independent of onnxruntime so the featurizers stay pure. */
export interface FeedTensor {
  name: string;
  type: FeedType;
  data: BigInt64Array | Int32Array | Float32Array;
  dims: number[];
}

/** Turns a slice of rows into the model's input tensors; the same code serves training and scoring. */
export interface BatchFeaturizer {
  /** `firstRowIndex` is the index of rows[0] in the caller's list, for error messages. */
  featurize(rows: readonly ModelInput[], firstRowIndex: number): FeedTensor[];
}

/** Fills a tensor of `type` from int32 values; int64 is written as two 32-bit words (little-endian). */
export function int32sToFeed(name: string, type: FeedType, values: Int32Array, dims: number[]): FeedTensor {
  if (type === 'int32') return { name, type, data: values, dims };
  if (type === 'float32') return { name, type, data: Float32Array.from(values), dims };
  const data = new BigInt64Array(values.length);
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) {
    words[2 * i] = values[i]!;
    words[2 * i + 1] = values[i]! >> 31;
  }
  return { name, type, data, dims };
}

/** A short description of a value that is not the input a featurizer expected, for error messages. */
export function describeInput(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}
