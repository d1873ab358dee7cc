import type { Param } from './networks.js';

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;

export type OptimizerName = 'adam' | 'sgd';

export interface OptimizerOptions {
  name: OptimizerName;
  learningRate: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
}

/**
 * Adam or SGD with momentum. Sparse params (embeddings) are updated lazily, only in the rows the batch
 * touched (as PyTorch's SparseAdam): a dense step over 100k+ embedding rows per batch would dominate.
 * Gradients are zeroed after each step.
 */
export class Optimizer {
  private readonly first: Float32Array[];
  private readonly second: Float32Array[];
  private step = 0;
  /** Adam's learning rate with both bias corrections folded in, fixed for one step. */
  private adamStepSize = 0;

  constructor(
    private readonly params: Param[],
    private readonly options: OptimizerOptions,
  ) {
    this.first = params.map((p) => new Float32Array(p.value.length));
    this.second = options.name === 'adam' ? params.map((p) => new Float32Array(p.value.length)) : [];
  }

  apply(): void {
    this.step += 1;
    this.adamStepSize = (this.options.learningRate * Math.sqrt(1 - ADAM_BETA2 ** this.step)) / (1 - ADAM_BETA1 ** this.step);
    this.params.forEach((p, k) => {
      if (!p.sparse) {
        this.update(k, 0, p.value.length);
        return;
      }
      const size = p.sparse.rowSize;
      for (const row of p.sparse.touched) this.update(k, row * size, (row + 1) * size);
      p.sparse.clear();
    });
  }

  private update(k: number, from: number, to: number): void {
    const { value, grad } = this.params[k]!;
    const m = this.first[k]!;
    if (this.options.name === 'sgd') {
      const lr = this.options.learningRate;
      const mu = this.options.momentum ?? 0.9;
      for (let i = from; i < to; i++) {
        m[i] = mu * m[i]! + grad[i]!;
        value[i]! -= lr * m[i]!;
        grad[i] = 0;
      }
      return;
    }
    const v = this.second[k]!;
    const stepSize = this.adamStepSize;
    for (let i = from; i < to; i++) {
      const g = grad[i]!;
      const mi = ADAM_BETA1 * m[i]! + (1 - ADAM_BETA1) * g;
      const vi = ADAM_BETA2 * v[i]! + (1 - ADAM_BETA2) * g * g;
      m[i] = mi;
      v[i] = vi;
      value[i]! -= (stepSize * mi) / (Math.sqrt(vi) + 1e-8);
      grad[i] = 0;
    }
  }
}
