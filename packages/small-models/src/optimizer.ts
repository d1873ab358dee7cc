import type { Param } from './networks.js';

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

  constructor(
    private readonly params: Param[],
    private readonly options: OptimizerOptions,
  ) {
    this.first = params.map((p) => new Float32Array(p.value.length));
    this.second = options.name === 'adam' ? params.map((p) => new Float32Array(p.value.length)) : [];
  }

  apply(): void {
    this.step += 1;
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
    const lr = this.options.learningRate;
    if (this.options.name === 'sgd') {
      const mu = this.options.momentum ?? 0.9;
      for (let i = from; i < to; i++) {
        m[i] = mu * m[i]! + grad[i]!;
        value[i]! -= lr * m[i]!;
        grad[i] = 0;
      }
      return;
    }
    const v = this.second[k]!;
    const b1 = 0.9;
    const b2 = 0.999;
    const stepSize = (lr * Math.sqrt(1 - b2 ** this.step)) / (1 - b1 ** this.step);
    for (let i = from; i < to; i++) {
      const g = grad[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      value[i]! -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
      grad[i] = 0;
    }
  }
}
