import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { buildPrompt } from '@datashunt/algorithms';
import type { JobPayload, LlmCallResult } from '@datashunt/contracts';
import { EndpointRateLimiter, LargeModelClient, LlmError, RateLimitedError, type ClassifyOutcome } from '@datashunt/llm';
import { RunStore } from '@datashunt/runs';
import { defineHandler, type HandlerContext, type Runtime } from '@datashunt/runtime';

/**
 * Asks the large model about one hard row with a Prompt Pruning prompt. Requests per minute are held
 * to the manifest's limit across all workers (each request books a slot); a 429 pauses the whole
 * queue for its retry-after without spending an attempt. Whatever happens, the row ends with a result: the answer, or the small model's
 * label flagged with why.
 */
export function llmCallHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = `${runtime.config.QUEUE_PREFIX}:`;
  const client = new LargeModelClient({
    apiKey: runtime.config.OPENAI_API_KEY,
    baseURL: runtime.config.OPENAI_BASE_URL,
    redis: runtime.redis,
    keyPrefix: prefix,
    timeoutMs: runtime.config.LLM_TIMEOUT_MS,
  });
  const limiter = new EndpointRateLimiter(runtime.redis, prefix);

  return defineHandler({
    name: 'llm-call',
    async handle(payload, context): Promise<LlmCallResult> {
      const { manifest } = await runs.snapshot(payload.outputPrefix, payload.runId);
      const spec = manifest.largeModel;
      const prompt = buildPrompt({ task: manifest.task, mode: manifest.promptMode, probs: payload.probs, threshold: manifest.promptPruneThreshold, input: payload.input });
      const endpoint = client.endpointKey(spec);
      let outcome: ClassifyOutcome;
      try {
        outcome = await client.classify({
          manifestLargeModel: spec,
          prompt: prompt.messages,
          allowedLabels: prompt.allowedLabels,
          runId: payload.runId,
          budgetUsd: manifest.budgetUsd,
          // The booked slot is waited for here; BullMQ keeps renewing the job's lock meanwhile.
          beforeCall: async () => sleep(await limiter.reserve(endpoint, spec.rateLimitRpm)),
        });
      } catch (error) {
        if (error instanceof RateLimitedError) await pauseQueue(context, error.retryAfterMs);
        const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
        if (error instanceof LlmError && (!error.retryable || lastAttempt)) return fallback(payload, 'llm_error', error.message);
        throw error;
      }
      return toResult(payload, outcome);
    },
  });
}

/** Pauses every worker of the queue (the provider's limit is global) and re-queues this job without using an attempt. */
async function pauseQueue({ queue }: HandlerContext, waitMs: number): Promise<never> {
  await queue.rateLimit(waitMs);
  throw Worker.RateLimitError();
}

function toResult(payload: JobPayload<'llm-call'>, outcome: ClassifyOutcome): LlmCallResult {
  switch (outcome.kind) {
    case 'answer':
      return { line: payload.line, label: outcome.label, source: 'large', c_l: outcome.confidence, tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'unresolved':
      return { ...fallback(payload, 'unresolved', `answer outside the label set: ${outcome.raw.slice(0, 80)}`), tokens: outcome.tokens, cost: outcome.costUsd, cached: outcome.cached };
    case 'over_budget':
      return fallback(payload, 'over_budget');
  }
}

function fallback(payload: JobPayload<'llm-call'>, reason: LlmCallResult['fallbackReason'] & string, error?: string): LlmCallResult {
  return {
    line: payload.line,
    label: payload.fallbackLabel,
    source: 'fallback',
    c_l: null,
    tokens: { input: 0, output: 0 },
    cost: 0,
    cached: false,
    fallbackReason: reason,
    ...(error ? { error } : {}),
  };
}
