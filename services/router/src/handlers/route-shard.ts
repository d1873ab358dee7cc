import { UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { attemptParts, jobId, LlmCallResultSchema, type LlmCallResult } from '@datashunt/contracts';
import { RunProgress, RunStore, type HardRow, type ScoredRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type CatalogJob, type Runtime } from '@datashunt/runtime';
import { isNotFound } from '@datashunt/storage';
import { buildPart, decide, type GuaranteeRouting, type ModelVersions } from '../shard-decisions.js';

export function llmCallJobId(runId: string, attempt: number, shard: number, line: number): string {
  return jobId('llm-call', ...attemptParts(runId, attempt), shard, line);
}

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
      // A guarantee run scored every shard before routing: the job carries the versions and the threshold.
      const versions = guarantee?.versions ?? Object.values(children).find(isScoreResult);
      const routing: GuaranteeRouting | undefined = guarantee && { threshold: guarantee.threshold, sampledLines: new Set(guarantee.sampled.map((a) => a.line)) };
      if (!versions) {
        const failures = Object.values(await job.getIgnoredChildrenFailures());
        throw new UnrecoverableError(`shard ${shard} was not scored: ${failures[0] ?? 'score result missing'}`);
      }
      const scored = await readScored(runs, outputPrefix, runId, shard);

      if ((job.data as { step?: string }).step !== 'collect') {
        const hard: Array<{ row: Extract<ScoredRow, { p1: number[] }>; fallbackIndex: number }> = [];
        for (const row of scored) {
          const decision = decide(manifest, row, routing);
          // A row the sampling phase bought keeps that answer: it is not asked again.
          if (decision?.source === 'large' && !('reject' in row) && !routing?.sampledLines.has(row.line)) hard.push({ row, fallbackIndex: decision.fallbackIndex });
        }
        await progress.shardRouted(runId, shard, scored.length, hard.length);
        if (hard.length) {
          // Only hard rows need their inputs, so the shard itself is read only when there are some.
          const inputs = new Map<number, string | number[]>();
          const wanted = new Set(hard.map((h) => h.row.line));
          for await (const row of runs.readShard(outputPrefix, runId, shard)) if (wanted.has(row.line)) inputs.set(row.line, row.input);
          const hardRows: HardRow[] = hard.map(({ row, fallbackIndex }) => ({ line: row.line, input: inputs.get(row.line)!, probs: row.p1, fallbackLabel: manifest.task.labels[fallbackIndex]! }));
          // Written before the jobs exist, so every llm-call finds its row.
          await runs.writeHardRows(outputPrefix, runId, shard, hardRows);
          const calls: CatalogJob<'llm-call'>[] = hard.map(({ row }) => ({
            name: 'llm-call',
            data: { runId, outputPrefix, shard, line: row.line, rowId: row.id },
            // A call that fails for good must not stall the shard: its row falls back, flagged llm_error.
            opts: { jobId: llmCallJobId(runId, attempt, shard, row.line), parent: { id: job.id!, queue: runtime.queues.qualified('route') }, ignoreDependencyOnFailure: true },
          }));
          await runtime.queues.addBulk(calls);
          await job.updateData({ ...job.data, step: 'collect' });
          if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
          return finish(await job.getChildrenValues<unknown>(), await job.getIgnoredChildrenFailures());
        }
      }
      return finish(children, await job.getIgnoredChildrenFailures());

      async function finish(values: Record<string, unknown>, failures: Record<string, string>) {
        const answers = new Map<number, LlmCallResult>((guarantee?.sampled ?? []).map((a) => [a.line, a]));
        for (const value of Object.values(values)) {
          const parsed = LlmCallResultSchema.safeParse(value);
          if (parsed.success) answers.set(parsed.data.line, parsed.data);
        }
        const failureByLine = new Map(Object.entries(failures).map(([key, reason]) => [Number(key.split('.').pop()), reason]));
        const { part, tally } = buildPart(manifest, scored, versions as ModelVersions, answers, (line) => failureByLine.get(line), routing);
        await runs.writePart(outputPrefix, runId, shard, part, tally.state());
        runtime.metrics.run.countPart(part);
        await progress.shardDone(runId, shard);
        return { shard, results: part.results.length, rejects: part.rejects.length, large: answers.size, failedCalls: failureByLine.size };
      }
    },
  });
}

function isScoreResult(value: unknown): value is ModelVersions {
  return typeof value === 'object' && value !== null && 'specificVersion' in value;
}

async function readScored(runs: RunStore, outputPrefix: string, runId: string, shard: number): Promise<ScoredRow[]> {
  const rows: ScoredRow[] = [];
  try {
    for await (const row of runs.readScored(outputPrefix, runId, shard)) rows.push(row);
  } catch (error) {
    if (isNotFound(error)) throw new UnrecoverableError(`shard ${shard} has no scores`);
    throw error;
  }
  return rows;
}
