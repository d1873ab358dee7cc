import { UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { decide, RunProgress, RunStore, type CompactScoredRow, type GuaranteeRouting } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type CatalogJob, type Runtime } from '@datashunt/runtime';
import { isNotFound } from '@datashunt/storage';
import { batchFailureOf, llmBatchChildren } from '../batch-children.js';
import { collectAnswers, hardCallJobs } from '../hard-calls.js';
import { buildPart, type ScoredShard } from '../shard-decisions.js';

/**
 * Algorithm 2 over a scored shard (step "shunt"): confident rows are answered by the small models,
 * the rest become llm-call children of this job. When they are done BullMQ runs this job again
 * (step "collect"), which writes the shard's part: one result or reject per row.
 */
export function routeShardHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const progress = new RunProgress(runtime.redis, ownKeyPrefix(runtime.config.QUEUE_PREFIX));
  return defineHandler({
    name: 'route-shard',
    async handle({ runId, outputPrefix, shard, attempt, guarantee }, { job, token }) {
      const { manifest } = await runs.snapshot(outputPrefix, runId);
      const children = await job.getChildrenValues<unknown>();
      // A guarantee run scored every shard before routing: the job carries the versions, line count and threshold.
      const scoring: ScoredShard | undefined = guarantee?.versions ?? Object.values(children).find(isScoreResult);
      const routing: GuaranteeRouting | undefined = guarantee && { threshold: guarantee.threshold, sampledLines: new Set(guarantee.sampled.map((a) => a.line)) };
      if (!scoring) {
        const failures = Object.values(await job.getIgnoredChildrenFailures());
        throw new UnrecoverableError(`shard ${shard} was not scored: ${failures[0] ?? 'score result missing'}`);
      }
      const scored = await readScored(runs, outputPrefix, runId, shard);
      const versions: ScoredShard = scoring;

      if ((job.data as { step?: string }).step !== 'collect') {
        const hard: CompactScoredRow[] = [];
        for (const row of scored) {
          // A row the sampling phase bought keeps that answer: it is not asked again. The scorer wrote
          // the inputs of every row that may go to the large model, so the llm-calls find theirs.
          if (!('reject' in row) && decide(manifest, row, routing).source === 'large' && !routing?.sampledLines.has(row.line)) hard.push(row);
        }
        await progress.shardRouted(runId, shard, scored.length, hard.length);
        if (hard.length) {
          const parent = { id: job.id!, queue: runtime.queues.qualified('route') };
          const calls: CatalogJob<'llm-call' | 'llm-batch'>[] =
            manifest.largeModel.mode === 'batch'
              ? await batchChildren(hard, parent)
              : hardCallJobs(runtime, job.id!, { runId, outputPrefix, shard, attempt }, hard.map((row) => ({ line: row.line, rowId: row.id })));
          await runtime.queues.addBulk(calls);
          await job.updateData({ ...job.data, step: 'collect' });
          if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
          return finish(await job.getChildrenValues<unknown>(), await job.getIgnoredChildrenFailures());
        }
      }
      return finish(children, await job.getIgnoredChildrenFailures());

      /** Batch mode: the shard's hard rows, exactly, for its llm-batch jobs (written before the jobs exist). */
      async function batchChildren(hard: CompactScoredRow[], parent: { id: string; queue: string }) {
        const candidates = await runs.shardHardRows(outputPrefix, runId, shard);
        const rows = hard.map((row) => candidates.get(row.line)!);
        await runs.writeBatchRows(outputPrefix, runId, shard, rows);
        return llmBatchChildren(manifest, rows, { runId, outputPrefix, shard, attempt }, parent);
      }

      async function finish(values: Record<string, unknown>, failures: Record<string, string>) {
        const { answers, failureOf, failedRows } = await collectAnswers(runtime, shard, values, failures, guarantee?.sampled ?? []);
        const batchFailure = batchFailureOf(failures);
        const { part, tally } = buildPart(manifest, scored, versions, answers, (line) => failureOf(line) ?? batchFailure(line), routing);
        await runs.writePart(outputPrefix, runId, shard, part, { tally: tally.state(), lines: versions.lines });
        runtime.metrics.run.countPart(part);
        await progress.shardDone(runId, shard);
        return { shard, results: part.results.length, rejects: part.rejects.length, large: answers.size, failedRows };
      }
    },
  });
}

function isScoreResult(value: unknown): value is ScoredShard {
  return typeof value === 'object' && value !== null && 'specificVersion' in value && 'lines' in value;
}

async function readScored(runs: RunStore, outputPrefix: string, runId: string, shard: number): Promise<CompactScoredRow[]> {
  try {
    return await runs.readScored(outputPrefix, runId, shard);
  } catch (error) {
    if (isNotFound(error)) throw new UnrecoverableError(`shard ${shard} has no scores`);
    throw error;
  }
}
