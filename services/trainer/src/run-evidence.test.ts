import type { ResultRecord } from '@datashunt/contracts';
import type { CompactScoredRow, ShardRow } from '@datashunt/runs';
import { zipByLine } from './run-evidence';

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

const result = (line: number): ResultRecord => ({ id: `r${line}`, line, label: 'ham', source: 'small', c_s1: 0.99, c_s2: null, c_l: null, tokens: { input: 0, output: 0 }, cost: 0, modelVersion: 'v1' });

describe('zipByLine', () => {
  const rows: ShardRow[] = [
    { id: 'r2', line: 2, input: 'a' },
    { id: 'r5', line: 5, input: 'b' },
  ];

  it('pairs each shard row with its scores and its result, and marks rejects', async () => {
    const scored: CompactScoredRow[] = [{ line: 2, id: 'r2', s1: { index: 0, confidence: 0.99 }, probs: [0.99, 0.01] }, { line: 5, id: 'r5', reject: 'bad input' }];
    const zipped = await collect(zipByLine(from(rows), scored, from([result(2)])));
    expect(zipped.map((z) => [z.row.line, z.p1, z.result?.source ?? null])).toEqual([
      [2, [0.99, 0.01], 'small'],
      [5, null, null],
    ]);
  });

  it('refuses files that do not line up', async () => {
    const top = { index: 0, confidence: 1 };
    const scored: CompactScoredRow[] = [{ line: 2, id: 'r2', s1: top, probs: [1, 0] }, { line: 4, id: 'r4', s1: top, probs: [1, 0] }];
    await expect(collect(zipByLine(from(rows), scored, from([result(2), result(5)])))).rejects.toThrow('line 5: scored line 4');
    await expect(collect(zipByLine(from(rows), scored.slice(0, 1), from([result(2), result(5)])))).rejects.toThrow('ends before the shard');
    await expect(collect(zipByLine(from(rows.slice(0, 1)), scored.slice(0, 1), from([result(2), result(5)])))).rejects.toThrow('more lines');
    await expect(collect(zipByLine(from(rows), [scored[0]!, { ...scored[1]!, line: 5 }], from([result(1), result(2)])))).rejects.toThrow('result for line 1 has no shard row');
  });
});
