import { buildPrompt, parseAnswer } from '@datashunt/algorithms';
import type { LlmCallResult } from '@datashunt/contracts';
import { BatchRequests, RunBreaker, type BatchContext, type BatchRow, type Completion, type LineFailures } from '@datashunt/llm';
import { RunCancellation, RunProgress, RunStore, type HardRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { fallbackResult } from '../fallback.js';
import { deferJob, largeModelClient } from '../large-model.js';

/** Why a job asks no more: its run was cancelled, or its breaker tripped. */
type Stop = { reason: 'cancelled' | 'llm_error'; message: string };

/** A row of the job: what it asks and what it falls back on. */
interface AskedRow extends BatchRow {
  hard: HardRow;
  allowedLabels: string[];
}

/**
 * Batch mode: asks the large model about a part of a shard's hard rows through the provider's batch
 * interface, then returns one result per row ({rows}) to its route parent. Each round sends the rows
 * not yet answered (cache and answer log first, as llm-call does) in one batch per file's worth, and
 * the job waits for them delayed, holding no worker slot, polling every LLM_BATCH_POLL_MS. Lines that
 * failed or expired go into the next round's batch, LLM_BATCH_RETRIES times, then fall back
 * (llm_error). A cancelled run or a tripped breaker cancels the batches in flight and falls back what
 * they did not answer.
 */
export function llmBatchHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const batches = new BatchRequests(largeModelClient(runtime));
  const breaker = new RunBreaker(runtime.redis, prefix);
  const cancellation = new RunCancellation(runtime.redis, prefix);
  const progress = new RunProgress(runtime.redis, prefix);
  const { LLM_BATCH_POLL_MS: pollMs, LLM_BATCH_RETRIES: retries } = runtime.config;

  return defineHandler({
    name: 'llm-batch',
    async handle(payload, handlerContext): Promise<{ rows: LlmCallResult[] }> {
      const { job } = handlerContext;
      const { runId, outputPrefix } = payload;
      const { manifest } = await runs.snapshot(outputPrefix, runId);
      const rows: AskedRow[] = (await runs.batchRowsBetween(outputPrefix, runId, payload.shard, payload.fromLine, payload.toLine)).map((hard) => {
        const prompt = buildPrompt({ task: manifest.task, mode: manifest.promptMode, probs: hard.probs, threshold: manifest.promptPruneThreshold, input: hard.input });
        return { line: hard.line, messages: prompt.messages, hard, allowedLabels: prompt.allowedLabels };
      });
      const context: BatchContext = {
        manifestLargeModel: manifest.largeModel,
        runId,
        budgetUsd: manifest.budgetUsd,
        answerLog: runs.answerLog(outputPrefix, runId),
        callKey: job.id!,
        since: job.timestamp,
      };
      const stopped = async (): Promise<Stop | null> => {
        const cancelled = await cancellation.cancelled(runId);
        if (cancelled !== null) return { reason: 'cancelled', message: `not asked: the run was ${cancelled}` };
        const tripped = await breaker.tripped(runId);
        return tripped === null ? null : { reason: 'llm_error', message: `not asked: the run stopped calling the endpoint (${tripped})` };
      };
      const waitForBatches = () => deferJob(handlerContext, pollMs, () => cancellation.cancelled(runId));

      let { round, batchIds } = payload;
      const overBudget = new Set(payload.overBudgetLines);
      let failures: LineFailures = new Map();
      try {
        if (batchIds.length) {
          if (await stopped()) await batches.cancel(context, batchIds);
          if ((await batches.progress(context, batchIds)).state === 'running') await waitForBatches();
          failures = await batches.collect(context, batchIds, rows, round);
          round += 1;
          batchIds = [];
          await job.updateData({ ...job.data, round, batchIds });
        }
        const known = await batches.known(context, rows);
        const stop = await stopped();
        const pending = rows.filter((row) => !known.has(row.line) && !overBudget.has(row.line));
        if (pending.length && !stop && round <= retries) {
          const submitted = await batches.submit(context, pending, round);
          submitted.overBudget.forEach((line) => overBudget.add(line));
          await job.updateData({ ...job.data, round, batchIds: submitted.batchIds, overBudgetLines: [...overBudget] });
          if (submitted.batchIds.length) await waitForBatches();
        }
        return await conclude(known, stop);
      } catch (error) {
        if (!RunBreaker.isFatal(error)) throw error;
        // No retry can fix it: the rows not answered yet fall back now, as the breaker makes every other job's do.
        await breaker.trip(runId, error.message);
        return conclude(await batches.known(context, rows), { reason: 'llm_error', message: `not asked: the run stopped calling the endpoint (${error.message})` });
      }

      /** One result per row: its answer, or a fallback with why. */
      async function conclude(known: Map<number, Completion>, stop: Stop | null): Promise<{ rows: LlmCallResult[] }> {
        const results = rows.map((row): LlmCallResult => {
          const completion = known.get(row.line);
          if (completion) return toResult(row, completion);
          if (overBudget.has(row.line)) return fallback(row, 'over_budget');
          if (stop) return fallback(row, stop.reason, stop.message);
          return fallback(row, 'llm_error', `no answer after ${round} batch${round === 1 ? '' : 'es'}: ${failures.get(row.line) ?? 'unanswered'}`);
        });
        for (const result of results) if (result.source === 'fallback') runtime.metrics.run.observeLlmCall({ model: manifest.largeModel.model, outcome: 'fallback' });
        await progress.answered(runId, results.length);
        return { rows: results };
      }
    },
  });
}

/** A row's answer: its own paid batch line (cost at the batch price), or one found in the cache (free). */
function toResult(row: AskedRow, completion: Completion): LlmCallResult {
  const label = parseAnswer(completion.content, row.allowedLabels);
  const paid = { tokens: completion.tokens, cost: completion.costUsd, cached: completion.cached, ...(completion.cached ? {} : { batch: true }) };
  if (label === null) return { ...fallback(row, 'unresolved', `answer outside the label set: ${completion.content.slice(0, 80)}`), ...paid };
  return { line: row.line, label, source: 'large', c_l: completion.confidence, ...paid };
}

function fallback(row: AskedRow, reason: NonNullable<LlmCallResult['fallbackReason']>, error?: string): LlmCallResult {
  return fallbackResult(row.line, row.hard.fallbackLabel, reason, error);
}
