import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker } from 'bullmq';
import { buildPrompt } from '@datashunt/algorithms';
import type { JobPayload, LargeModelSpec, LlmCallResult, LlmCallResults, Manifest } from '@datashunt/contracts';
import { EndpointRateLimiter, LlmError, PossiblyBilledLlmError, RateDeferredError, RateLimitedError, RunBreaker, type ClassifyOutcome } from '@datashunt/llm';
import { RunCancellation, RunProgress, RunStore, type HardRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type HandlerContext, type Runtime } from '@datashunt/runtime';
import { fallbackResult } from '../fallback.js';
import { deferJob, largeModelClient } from '../large-model.js';

/**
 * Asks the large model about a job's hard rows, one after the other, each with a Prompt Pruning
 * prompt. The rows themselves are read from the shard's hard-rows object (job data holds only
 * references). Requests go to the operator's endpoint that the manifest names, within that endpoint's
 * ceiling and the run's own lower limit; a 429 pauses the whole queue for its retry-after without
 * spending an attempt. Whatever happens, each row ends with a result: the answer, or the small model's
 * label flagged with why.
 */
export function llmCallHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const { endpoints } = runtime.config;
  const client = largeModelClient(runtime);
  const limiter = new EndpointRateLimiter(runtime.redis, prefix);
  const breaker = new RunBreaker(runtime.redis, prefix);
  const cancellation = new RunCancellation(runtime.redis, prefix);
  const progress = new RunProgress(runtime.redis, prefix);
  const maxWaitMs = runtime.config.LLM_MAX_RATE_WAIT_MS;

  /** Waits for a slot at most maxWaitMs away, or gives the worker slot back until one is free. */
  const book = async (limit: 'endpoint' | 'endpoint_tokens', key: string, perMinute: number, cost = 1) => {
    const booking = await limiter.reserve(key, perMinute, { cost, maxWaitMs });
    if (!booking.booked) throw new RateDeferredError(booking.retryInMs);
    await waitFor(limit, booking.waitMs);
  };

  /** Sleeps until a booked slot, recording the wait (zero included) for the rate-limit histogram. */
  const waitFor = async (limit: 'run' | 'endpoint' | 'endpoint_tokens', waitMs: number) => {
    runtime.metrics.run.observeRateWait(limit, waitMs);
    if (waitMs > 0) await sleep(waitMs);
  };

  /**
   * A run's own (lower) limit: its slot is booked however far ahead, and a job whose slot is further
   * than maxWaitMs is delayed until then, keeping its slot, so a slow run's jobs wake one at a time.
   */
  const bookRunSlot = async (context: HandlerContext, runId: string, rpm: number) => {
    const booking = await limiter.reserve(`run:${runId}`, rpm, { maxWaitMs: Number.MAX_SAFE_INTEGER });
    const waitMs = booking.booked ? booking.waitMs : 0;
    if (waitMs > maxWaitMs) {
      await context.job.updateData({ ...context.job.data, runSlotAt: Date.now() + waitMs });
      throw new RateDeferredError(waitMs);
    }
    await waitFor('run', waitMs);
  };

  /** The run's own limit (when it asks for less than the endpoint allows), then the endpoint's ceilings. */
  const waitForSlot = async (context: HandlerContext, heldRunSlot: boolean, spec: LargeModelSpec, estimatedTokens: number) => {
    const endpoint = endpoints[spec.endpoint];
    if (!endpoint) return; // the client refuses the call itself
    const runId = (context.job.data as { runId: string }).runId;
    if (!heldRunSlot && spec.rateLimitRpm !== undefined && spec.rateLimitRpm < endpoint.maxRequestsPerMinute) await bookRunSlot(context, runId, spec.rateLimitRpm);
    await book('endpoint', `endpoint:${spec.endpoint}`, endpoint.maxRequestsPerMinute);
    if (endpoint.maxTokensPerMinute) await book('endpoint_tokens', `endpoint-tokens:${spec.endpoint}`, endpoint.maxTokensPerMinute, estimatedTokens);
  };

  /**
   * One row's result: the large model's answer, or the small model's label flagged with why. Throws
   * only what the job as a whole handles (a deferred slot, a 429 pause, an error worth a retry).
   * `slot.held`: the job was delayed to its booked run slot, which the first request sent uses.
   */
  const answerRow = async (payload: JobPayload<'llm-call'>, ref: CallRow, context: HandlerContext, manifest: Manifest, slot: { held: boolean }): Promise<LlmCallResult> => {
    const { line } = ref;
    const row = await runs.hardRow(payload.outputPrefix, payload.runId, payload.shard, line);
    if (!row) throw new UnrecoverableError(`row at line ${line} is missing from the hard-rows object of shard ${payload.shard}`);
    const stopped = await breaker.tripped(payload.runId);
    if (stopped !== null) return fallback(line, row, 'llm_error', `not asked: the run stopped calling the endpoint (${stopped})`);
    const cancelled = await cancellation.cancelled(payload.runId);
    if (cancelled !== null) return fallback(line, row, 'cancelled', `not asked: the run was ${cancelled}`);
    const spec = manifest.largeModel;
    const prompt = buildPrompt({ task: manifest.task, mode: manifest.promptMode, probs: row.probs, threshold: manifest.promptPruneThreshold, input: row.input });
    let outcome: ClassifyOutcome;
    try {
      outcome = await client.classify({
        manifestLargeModel: spec,
        prompt: prompt.messages,
        allowedLabels: prompt.allowedLabels,
        runId: payload.runId,
        budgetUsd: manifest.budgetUsd,
        answerLog: runs.answerLog(payload.outputPrefix, payload.runId),
        // The row's own key across every attempt of its job: a retry finds what this row paid, never another's.
        callKey: `${context.job.id!}.${line}`,
        // A booked slot is waited for here (briefly); BullMQ keeps renewing the job's lock meanwhile.
        beforeCall: async (estimatedTokens) => {
          await waitForSlot(context, slot.held, spec, estimatedTokens);
          slot.held = false;
        },
      });
    } catch (error) {
      if (RunBreaker.isFatal(error)) await breaker.trip(payload.runId, error.message);
      if (error instanceof PossiblyBilledLlmError && error.timedOut) {
        const timeouts = (payload.timeouts?.[line] ?? 0) + 1;
        if (timeouts > runtime.config.LLM_TIMEOUT_RETRIES) return fallback(line, row, 'llm_error', `timed out ${timeouts} times (each possibly billed): ${error.message}`);
        await context.job.updateData({ ...context.job.data, timeouts: { ...payload.timeouts, [line]: timeouts } });
      }
      const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
      if (error instanceof LlmError && !(error instanceof RateLimitedError) && (!error.retryable || lastAttempt)) return fallback(line, row, 'llm_error', error.message);
      throw error;
    }
    return toResult(line, row, outcome);
  };

  /** What the whole job does about a row's error, after keeping the rows already finished. */
  const onJobError = async (payload: JobPayload<'llm-call'>, context: HandlerContext, error: unknown): Promise<void> => {
    if (error instanceof RateDeferredError) await deferJob(context, error.retryInMs, () => cancellation.cancelled(payload.runId));
    if (error instanceof RateLimitedError) await pauseQueue(context, error.retryAfterMs);
  };

  return defineHandler({
    name: 'llm-call',
    async handle(payload, context): Promise<LlmCallResults> {
      const { manifest } = await runs.snapshot(payload.outputPrefix, payload.runId);
      const results = new Map((payload.done ?? []).map((result) => [result.line, result]));
      const slot = { held: payload.runSlotAt !== undefined };
      for (const ref of payload.rows) {
        if (results.has(ref.line)) continue;
        let result: LlmCallResult;
        try {
          result = await answerRow(payload, ref, context, manifest, slot);
        } catch (error) {
          // Kept before the job is delayed, paused or retried: its next attempt goes on from the next row.
          if (results.size > (payload.done?.length ?? 0)) await context.job.updateData({ ...context.job.data, done: [...results.values()] });
          await onJobError(payload, context, error);
          throw error;
        }
        if (result.source === 'fallback') runtime.metrics.run.observeLlmCall({ model: manifest.largeModel.model, outcome: 'fallback' });
        results.set(ref.line, result);
      }
      // Sampling calls come before routing: `answered` counts the router's hard rows only.
      if (payload.sampleRound === undefined) await progress.answered(payload.runId, payload.rows.length);
      return { rows: payload.rows.map((ref) => results.get(ref.line)!) };
    },
  });
}

type CallRow = JobPayload<'llm-call'>['rows'][number];

/** Pauses every worker of the queue (the provider's limit is global) and re-queues this job without using an attempt. */
async function pauseQueue({ queue }: HandlerContext, waitMs: number): Promise<never> {
  await queue.rateLimit(waitMs);
  throw Worker.RateLimitError();
}

function toResult(line: number, row: HardRow, outcome: ClassifyOutcome): LlmCallResult {
  switch (outcome.kind) {
    case 'answer':
      return { line, label: outcome.label, source: 'large', c_l: outcome.confidence, tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'unresolved':
      return { ...fallback(line, row, 'unresolved', `answer outside the label set: ${outcome.raw.slice(0, 80)}`), tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'over_budget':
      return fallback(line, row, 'over_budget');
  }
}

function fallback(line: number, row: HardRow, reason: LlmCallResult['fallbackReason'] & string, error?: string): LlmCallResult {
  return fallbackResult(line, row.fallbackLabel, reason, error);
}
