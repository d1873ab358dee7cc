import type { MlpWeights, NamedTensor, TextWeights } from './weights.js';

/** A trainable tensor and its gradient; sparse ones (embeddings) also record which rows the batch touched. */
export interface Param {
  value: Float32Array;
  grad: Float32Array;
  sparse?: SparseRows;
}

/** Rows of a [rows, rowSize] gradient written since the last optimizer step, so a step costs O(touched). */
export class SparseRows {
  readonly touched: number[] = [];
  private readonly marked: Uint8Array;

  constructor(
    rows: number,
    readonly rowSize: number,
  ) {
    this.marked = new Uint8Array(rows);
  }

  touch(row: number): void {
    if (this.marked[row]) return;
    this.marked[row] = 1;
    this.touched.push(row);
  }

  clear(): void {
    for (const row of this.touched) this.marked[row] = 0;
    this.touched.length = 0;
  }
}

/**
 * One row at a time: forward writes the logits and keeps the activations that backward needs;
 * backward accumulates gradients (when built for training) from dLoss/dlogits.
 */
export interface Network<X> {
  readonly params: Param[];
  forward(x: X, logits: Float64Array): void;
  backward(x: X, dlogits: Float64Array): void;
}

/** Mean of the rows' bucket embeddings (zero for an empty row, as the ONNX graph does), then linear. */
export class TextNetwork implements Network<Int32Array> {
  readonly params: Param[] = [];
  private readonly dim: number;
  private readonly classes: number;
  private readonly hidden: Float64Array;
  private readonly dHidden: Float64Array;
  private readonly grads: { embedding: Param; weight: Param; bias: Param } | undefined;

  constructor(
    private readonly weights: TextWeights,
    training: boolean,
  ) {
    [, this.dim] = weights.embedding.dims as [number, number];
    this.classes = weights.bias.dims[0]!;
    this.hidden = new Float64Array(this.dim);
    this.dHidden = new Float64Array(this.dim);
    if (training) {
      const embedding = param(weights.embedding);
      embedding.sparse = new SparseRows(weights.embedding.dims[0]!, this.dim);
      this.grads = { embedding, weight: param(weights.weight), bias: param(weights.bias) };
      this.params.push(this.grads.embedding, this.grads.weight, this.grads.bias);
    }
  }

  forward(ids: Int32Array, logits: Float64Array): void {
    const { dim, classes, hidden } = this;
    const e = this.weights.embedding.data;
    hidden.fill(0);
    for (let j = 0; j < ids.length; j++) {
      const base = ids[j]! * dim;
      for (let d = 0; d < dim; d++) hidden[d]! += e[base + d]!;
    }
    const scale = 1 / Math.max(ids.length, 1);
    for (let d = 0; d < dim; d++) hidden[d]! *= scale;
    linear(hidden, this.weights.weight.data, this.weights.bias.data, classes, logits);
  }

  backward(ids: Int32Array, dlogits: Float64Array): void {
    const grads = this.grads!;
    const { dim, classes, hidden, dHidden } = this;
    linearBackward(hidden, this.weights.weight.data, dlogits, classes, grads.weight.grad, grads.bias.grad, dHidden);
    const scale = 1 / Math.max(ids.length, 1);
    const ge = grads.embedding.grad;
    for (let j = 0; j < ids.length; j++) {
      const row = ids[j]!;
      grads.embedding.sparse!.touch(row);
      const base = row * dim;
      for (let d = 0; d < dim; d++) ge[base + d]! += dHidden[d]! * scale;
    }
  }
}

/** Dense layers with ReLU between them. Zero inputs are skipped: MNIST-like pixel rows are mostly zeros. */
export class MlpNetwork implements Network<Float32Array> {
  readonly params: Param[] = [];
  private readonly activations: Float64Array[];
  private readonly deltas: Float64Array[];

  constructor(
    private readonly weights: MlpWeights,
    training: boolean,
  ) {
    this.activations = weights.layers.map((l) => new Float64Array(l.weight.dims[1]!));
    this.deltas = weights.layers.map((l) => new Float64Array(l.weight.dims[0]!));
    if (training) for (const l of weights.layers) this.params.push(param(l.weight), param(l.bias));
  }

  forward(x: Float32Array, logits: Float64Array): void {
    const last = this.weights.layers.length - 1;
    let input: ArrayLike<number> = x;
    this.weights.layers.forEach((layer, i) => {
      const out = i === last ? logits : this.activations[i]!;
      linear(input, layer.weight.data, layer.bias.data, layer.bias.dims[0]!, out);
      if (i < last) for (let k = 0; k < out.length; k++) if (out[k]! < 0) out[k] = 0;
      input = out;
    });
  }

  backward(x: Float32Array, dlogits: Float64Array): void {
    let delta: Float64Array = dlogits;
    for (let i = this.weights.layers.length - 1; i >= 0; i--) {
      const layer = this.weights.layers[i]!;
      const input = i === 0 ? x : this.activations[i - 1]!;
      const dInput = this.deltas[i]!;
      const p = this.params;
      linearBackward(input, layer.weight.data, delta, layer.bias.dims[0]!, p[2 * i]!.grad, p[2 * i + 1]!.grad, i === 0 ? undefined : dInput);
      if (i > 0) for (let k = 0; k < dInput.length; k++) if (input[k]! <= 0) dInput[k] = 0; // ReLU'
      delta = dInput;
    }
  }
}

/** out = x . W + b, with W row-major [inputs, outputs]; zero inputs cost nothing. */
function linear(x: ArrayLike<number>, w: Float32Array, b: Float32Array, outputs: number, out: Float64Array): void {
  for (let o = 0; o < outputs; o++) out[o] = b[o]!;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const base = i * outputs;
    for (let o = 0; o < outputs; o++) out[o]! += xi * w[base + o]!;
  }
}

/** Accumulates dW += x^T delta and db += delta; writes dx = W delta when asked. */
function linearBackward(
  x: ArrayLike<number>,
  w: Float32Array,
  delta: Float64Array,
  outputs: number,
  gw: Float32Array,
  gb: Float32Array,
  dx: Float64Array | undefined,
): void {
  for (let o = 0; o < outputs; o++) gb[o]! += delta[o]!;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const base = i * outputs;
    if (dx) {
      let s = 0;
      for (let o = 0; o < outputs; o++) s += w[base + o]! * delta[o]!;
      dx[i] = s;
    }
    if (xi === 0) continue;
    for (let o = 0; o < outputs; o++) gw[base + o]! += xi * delta[o]!;
  }
}

function param(t: NamedTensor): Param {
  return { value: t.data, grad: new Float32Array(t.data.length) };
}
