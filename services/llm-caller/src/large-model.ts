import { DelayedError } from 'bullmq';
import { LargeModelClient } from '@datashunt/llm';
import { endpointApiKey, ownKeyPrefix, type HandlerContext, type Runtime } from '@datashunt/runtime';

/** The large-model client of an llm-caller process: the operator's endpoints, keys, cache, budget and metrics. */
export function largeModelClient(runtime: Runtime): LargeModelClient {
  const { endpoints } = runtime.config;
  return new LargeModelClient({
    endpoints,
    apiKeyOf: (name) => endpointApiKey(endpoints, name),
    redis: runtime.redis,
    keyPrefix: ownKeyPrefix(runtime.config.QUEUE_PREFIX),
    timeoutMs: runtime.config.LLM_TIMEOUT_MS,
    observe: (observation) => runtime.metrics.run.observeLlmCall(observation),
  });
}

/**
 * Puts the job back until its rate-limit slot (or its batches' next poll), freeing the worker slot for
 * other runs' calls; no attempt is spent. A cancel made while the job was on its way to the delayed set
 * found nothing to wake (`datashunt runs cancel` wakes delayed jobs only): the job wakes itself, so its
 * rows fall back now rather than at a time that may be hours away.
 */
export async function deferJob({ job, token }: HandlerContext, waitMs: number, cancelled: () => Promise<string | null>): Promise<never> {
  await job.moveToDelayed(Date.now() + waitMs, token);
  // A promote that fails found the job already woken (by the cancel itself).
  if ((await cancelled()) !== null) await job.promote().catch(() => undefined);
  throw new DelayedError();
}
