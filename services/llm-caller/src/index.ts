import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { llmBatchHandler } from './handlers/llm-batch.js';
import { llmCallHandler } from './handlers/llm-call.js';

/** llm-caller: rate-limited, budgeted, cached calls to an OpenAI-compatible large model, one by one or in the provider's batches. */
export function llmCallerService(runtime: Runtime): ServiceModule {
  return {
    name: 'llm-caller',
    queues: [{ queue: 'llm', concurrency: runtime.config.LLM_CONCURRENCY }],
    handlers: [llmCallHandler(runtime), llmBatchHandler(runtime)],
  };
}
