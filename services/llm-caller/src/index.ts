import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { llmCallHandler } from './handlers/llm-call.js';

/** llm-caller: rate-limited, budgeted, cached calls to an OpenAI-compatible large model. */
export function llmCallerService(runtime: Runtime): ServiceModule {
  return {
    name: 'llm-caller',
    queues: [{ queue: 'llm', concurrency: runtime.config.LLM_CONCURRENCY, lockDurationMs: runtime.config.LLM_TIMEOUT_MS * 2 + 10_000 }],
    handlers: [llmCallHandler(runtime)],
  };
}
