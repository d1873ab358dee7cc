import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { buildPrompt } from '@datashunt/algorithms';
import type { JobPayload, LargeModelSpec, LlmCallResult, Manifest } from '@datashunt/contracts';
import { EndpointRateLimiter, LargeModelClient, LlmError, PossiblyBilledLlmError, RateDeferredError, RateLimitedError, RunBreaker, type ClassifyOutcome } from '@datashunt/llm';
import { RunCancellation, RunProgress, RunStore, type HardRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, endpointApiKey, type HandlerContext, type Runtime } from '@datashunt/runtime';

/**
 * Asks the large model about one hard row with a Prompt Pruning prompt. The row itself is read from
 * the shard's hard-rows object, or a guarantee run's sample object (job data holds only a reference). Requests go to the operator's
 * endpoint that the manifest names, within that endpoint's ceiling and the run's own lower limit; a
 * 429 pauses the whole queue for its retry-after without spending an attempt. Whatever happens, the
 * row ends with a result: the answer, or the small model's label flagged with why.
 */
export function llmCallHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const { endpoints } = runtime.config;
  const client = new LargeModelClient({
    endpoints,
    apiKeyOf: (name) => endpointApiKey(endpoints, name),
    redis: runtime.redis,
    keyPrefix: prefix,
    timeoutMs: runtime.config.LLM_TIMEOUT_MS,
    observe: (observation) => runtime.metrics.run.observeLlmCall(observation),
  });
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

  /** The row's result: the large model's answer, or the small model's label flagged with why. */
  const answer = async (payload: JobPayload<'llm-call'>, context: HandlerContext, manifest: Manifest): Promise<LlmCallResult> => {
    const sample = payload.sampleRound;
    const row = await (sample === undefined ? runs.hardRow(payload.outputPrefix, payload.runId, payload.shard, payload.line) : runs.sampleRow(payload.outputPrefix, payload.runId, sample, payload.line));
    if (!row) {
      const where = sample === undefined ? `the hard-rows object of shard ${payload.shard}` : `the sample object of round ${sample}`;
      throw new UnrecoverableError(`row at line ${payload.line} is missing from ${where}`);
    }
    const stopped = await breaker.tripped(payload.runId);
    if (stopped !== null) return fallback(payload, row, 'llm_error', `not asked: the run stopped calling the endpoint (${stopped})`);
    const cancelled = await cancellation.cancelled(payload.runId);
    if (cancelled !== null) return fallback(payload, row, 'cancelled', `not asked: the run was ${cancelled}`);
    const spec = manifest.largeModel;
    const prompt = buildPrompt({ task: manifest.task, mode: manifest.promptMode, probs: row.probs, threshold: manifest.promptPruneThreshold, input: row.input });
    let outcome: ClassifyOutcome;
    // A job delayed to its booked run slot uses it for its first request; later requests book their own.
    let heldRunSlot = payload.runSlotAt !== undefined;
    try {
      outcome = await client.classify({
        manifestLargeModel: spec,
        prompt: prompt.messages,
        allowedLabels: prompt.allowedLabels,
        runId: payload.runId,
        budgetUsd: manifest.budgetUsd,
        answerLog: runs.answerLog(payload.outputPrefix, payload.runId),
        callKey: context.job.id!,
        // A booked slot is waited for here (briefly); BullMQ keeps renewing the job's lock meanwhile.
        beforeCall: async (estimatedTokens) => {
          await waitForSlot(context, heldRunSlot, spec, estimatedTokens);
          heldRunSlot = false;
        },
      });
    } catch (error) {
      if (error instanceof RateDeferredError) await deferJob(context, error.retryInMs, () => cancellation.cancelled(payload.runId));
      if (error instanceof RateLimitedError) await pauseQueue(context, error.retryAfterMs);
      if (RunBreaker.isFatal(error)) await breaker.trip(payload.runId, error.message);
      if (error instanceof PossiblyBilledLlmError && error.timedOut) {
        const timeouts = (payload.timeouts ?? 0) + 1;
        if (timeouts > runtime.config.LLM_TIMEOUT_RETRIES) return fallback(payload, row, 'llm_error', `timed out ${timeouts} times (each possibly billed): ${error.message}`);
        await context.job.updateData({ ...context.job.data, timeouts });
      }
      const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
      if (error instanceof LlmError && (!error.retryable || lastAttempt)) return fallback(payload, row, 'llm_error', error.message);
      throw error;
    }
    return toResult(payload, row, outcome);
  };

  return defineHandler({
    name: 'llm-call',
    async handle(payload, context): Promise<LlmCallResult> {
      const { manifest } = await runs.snapshot(payload.outputPrefix, payload.runId);
      const result = await answer(payload, context, manifest);
      if (result.source === 'fallback') runtime.metrics.run.observeLlmCall({ model: manifest.largeModel.model, outcome: 'fallback' });
      // Sampling calls come before routing: `answered` counts the router's hard rows only.
      if (payload.sampleRound === undefined) await progress.answered(payload.runId);
      return result;
    },
  });
}

/** Pauses every worker of the queue (the provider's limit is global) and re-queues this job without using an attempt. */
async function pauseQueue({ queue }: HandlerContext, waitMs: number): Promise<never> {
  await queue.rateLimit(waitMs);
  throw Worker.RateLimitError();
}

/**
 * Puts the job back until its rate-limit slot, freeing the worker slot for other runs' calls; no attempt
 * is spent. A cancel made while the job was on its way to the delayed set found nothing to wake
 * (`datashunt runs cancel` wakes delayed jobs only): the job wakes itself, so its row falls back now
 * rather than at a slot that may be hours away.
 */
async function deferJob({ job, token }: HandlerContext, waitMs: number, cancelled: () => Promise<string | null>): Promise<never> {
  await job.moveToDelayed(Date.now() + waitMs, token);
  // A promote that fails found the job already woken (by the cancel itself).
  if ((await cancelled()) !== null) await job.promote().catch(() => undefined);
  throw new DelayedError();
}

function toResult(payload: JobPayload<'llm-call'>, row: HardRow, outcome: ClassifyOutcome): LlmCallResult {
  switch (outcome.kind) {
    case 'answer':
      return { line: payload.line, label: outcome.label, source: 'large', c_l: outcome.confidence, tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'unresolved':
      return { ...fallback(payload, row, 'unresolved', `answer outside the label set: ${outcome.raw.slice(0, 80)}`), tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'over_budget':
      return fallback(payload, row, 'over_budget');
  }
}

function fallback(payload: JobPayload<'llm-call'>, row: HardRow, reason: LlmCallResult['fallbackReason'] & string, error?: string): LlmCallResult {
  return {
    line: payload.line,
    label: row.fallbackLabel,
    source: 'fallback',
    c_l: null,
    tokens: { input: 0, output: 0 },
    cost: 0,
    cached: false,
    fallbackReason: reason,
    ...(error ? { error } : {}),
  };
}
