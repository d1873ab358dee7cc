import type { PartRecord, RunStore, ScoredRow, ShardRow } from '@datashunt/runs';
import { headObject } from '@datashunt/storage';
import type { RowEvidence } from './distill-set.js';

export interface ShardRowEvidence extends RowEvidence {
  row: ShardRow;
}

/**
 * Walks a shard's rows, scores and part records together. The three files are in line order with one
 * entry per row, so they are read in lockstep, one line of each at a time; a mismatch means the run
 * is corrupt and stops the walk.
 */
export async function* zipByLine(
  rows: AsyncIterable<ShardRow>,
  scored: AsyncIterable<ScoredRow>,
  parts: AsyncIterable<PartRecord>,
): AsyncGenerator<ShardRowEvidence> {
  const scores = scored[Symbol.asyncIterator]();
  const records = parts[Symbol.asyncIterator]();
  for await (const row of rows) {
    const [score, record] = await Promise.all([scores.next(), records.next()]);
    if (score.done || record.done) throw new Error(`line ${row.line}: the scored or part file ends before the shard`);
    const recordLine = 'result' in record.value ? record.value.result.line : record.value.reject.line;
    if (score.value.line !== row.line || recordLine !== row.line) {
      throw new Error(`line ${row.line}: scored line ${score.value.line} and part line ${recordLine} do not match`);
    }
    yield {
      row,
      p1: 'reject' in score.value ? null : score.value.p1,
      result: 'result' in record.value ? record.value.result : null,
    };
  }
  const [score, record] = await Promise.all([scores.next(), records.next()]);
  if (!score.done || !record.done) throw new Error('the scored or part file has more lines than the shard');
}

/**
 * Every row of a finished run, shard by shard. A shard that failed for good has no part file (finalize
 * rejected its rows), so its rows come out as rejected.
 */
export async function* runEvidence(runs: RunStore, outputPrefix: string, runId: string): AsyncGenerator<ShardRowEvidence> {
  const { shards } = await runs.plan(outputPrefix, runId);
  const keys = runs.keys(outputPrefix, runId);
  for (let shard = 0; shard < shards; shard++) {
    const rows = runs.readShard(outputPrefix, runId, shard);
    if (!(await headObject(runs.s3, runs.ref(keys.part(shard))))) {
      for await (const row of rows) yield { row, p1: null, result: null };
      continue;
    }
    yield* zipByLine(rows, runs.readScored(outputPrefix, runId, shard), runs.readPart(outputPrefix, runId, shard));
  }
}
