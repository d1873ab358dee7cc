import { ManifestSchema, type RunManifest } from '@datashunt/contracts';
import type { HardRow } from '@datashunt/runs';
import { batchFailureOf, llmBatchChildren, llmBatchJobId } from './batch-children.js';

const manifest = ManifestSchema.parse({
  task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this spam?' },
  input: { uri: 'x.jsonl' },
  smallModel: { name: 'm' },
  largeModel: { model: 'gpt', mode: 'batch', pricing: { inputPer1M: 1, outputPer1M: 2, batch: { inputPer1M: 0.5, outputPer1M: 1 } } },
  delta: 0.9,
  budgetUsd: 1,
}) as RunManifest;
const rows: HardRow[] = [3, 5, 8, 9, 12].map((line) => ({ line, input: `text of line ${line}`, probs: [0.5, 0.5], fallbackLabel: 'ham' }));
const job = { runId: 'run1', outputPrefix: 'runs/', shard: 2, attempt: 0 };
const parent = { id: 'route-shard.run1.2', queue: 'ds:route' };

describe('llmBatchChildren', () => {
  it('makes one llm-batch child for a shard within the per-file limits', () => {
    const children = llmBatchChildren(manifest, rows, job, parent);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ name: 'llm-batch', data: { runId: 'run1', shard: 2, fromLine: 3, toLine: 12, round: 0, batchIds: [] }, opts: { jobId: llmBatchJobId('run1', 0, 2, 3, 12), parent, ignoreDependencyOnFailure: true } });
  });

  it('splits by request count and by bytes, keeping line order', () => {
    const byCount = llmBatchChildren(manifest, rows, job, parent, { requests: 2, bytes: 1e9 });
    expect(byCount.map((c) => [c.data.fromLine, c.data.toLine])).toEqual([[3, 5], [8, 9], [12, 12]]);
    const byBytes = llmBatchChildren(manifest, rows, job, parent, { requests: 50_000, bytes: 1_200 });
    expect(byBytes).toHaveLength(5);
  });
});

describe('batchFailureOf', () => {
  it('gives a failed llm-batch child\'s reason to every line of its range, and none to others', () => {
    const failureOf = batchFailureOf({ [`bull:llm:${llmBatchJobId('run1', 0, 2, 3, 9)}`]: 'gave up', 'bull:llm:llm-call.run1.2.12': 'other' });
    expect([3, 5, 9].map(failureOf)).toEqual(['gave up', 'gave up', 'gave up']);
    expect(failureOf(12)).toBeUndefined();
    expect(failureOf(2)).toBeUndefined();
  });
});
