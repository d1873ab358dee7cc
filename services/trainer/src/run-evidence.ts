import type { ResultRecord } from '@datashunt/contracts';
import type { CompactScoredRow, RunStore, ShardRecord, ShardRow } from '@datashunt/runs';
import { headObject } from '@datashunt/storage';
import type { RowEvidence } from './distill-set.js';

export interface ShardRowEvidence extends RowEvidence {
  row: ShardRow;
}

/**
 * Walks a shard's rows, scores and results together. Scores have one entry per row and results one
 * per row that was not rejected, all in line order, so they are read in lockstep; a mismatch means
 * the run is corrupt and stops the walk.
 */
export async function* zipByLine(
  rows: AsyncIterable<ShardRow>,
  scored: Iterable<CompactScoredRow>,
  results: AsyncIterable<ResultRecord>,
): AsyncGenerator<ShardRowEvidence> {
  const scores = scored[Symbol.iterator]();
  const answers = results[Symbol.asyncIterator]();
  let answer = await answers.next();
  for await (const row of rows) {
    const score = scores.next();
    if (score.done) throw new Error(`line ${row.line}: the scored file ends before the shard`);
    if (score.value.line !== row.line) throw new Error(`line ${row.line}: scored line ${score.value.line} does not match`);
    let result: ResultRecord | null = null;
    if (!answer.done && answer.value.line === row.line) {
      result = answer.value;
      answer = await answers.next();
    }
    if (!answer.done && answer.value.line < row.line) throw new Error(`result for line ${answer.value.line} has no shard row`);
    yield { row, p1: 'reject' in score.value ? null : score.value.probs, result };
  }
  if (!scores.next().done || !answer.done) throw new Error('the scored or results file has more lines than the shard');
}

/**
 * Every row of a finished run, shard by shard, read again from the run's input. A shard that failed
 * for good has no part file, so its rows come out as rejected.
 */
export async function* runEvidence(runs: RunStore, outputPrefix: string, runId: string): AsyncGenerator<ShardRowEvidence> {
  const { ranges } = await runs.plan(outputPrefix, runId);
  const keys = runs.keys(outputPrefix, runId);
  for (const [shard, range] of ranges.entries()) {
    const rows = rowsOf(runs.readShardRows(outputPrefix, runId, range));
    if (!(await headObject(runs.s3, runs.ref(keys.part(shard))))) {
      for await (const row of rows) yield { row, p1: null, result: null };
      continue;
    }
    yield* zipByLine(rows, await runs.readScored(outputPrefix, runId, shard), runs.readPartResults(outputPrefix, runId, shard));
  }
}

async function* rowsOf(records: AsyncIterable<ShardRecord>): AsyncGenerator<ShardRow> {
  for await (const record of records) if ('row' in record) yield record.row;
}
