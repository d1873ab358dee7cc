import { parseLatencyRange } from './pacing.js';
import { startReferenceLlm } from './server.js';

// Started from env: PORT (8090), HOST (0.0.0.0), REFERENCE_LLM_MODELS_DIR (.data/reference-llm),
// REFERENCE_LLM_BATCH_DELAY_MS (how long a batch takes; 1000).
// REFERENCE_LLM_LATENCY_MS ("200-500": uniform per request; unset: none), REFERENCE_LLM_MAX_RPM (unset: no ceiling).
const latency = process.env.REFERENCE_LLM_LATENCY_MS;
const maxRpm = process.env.REFERENCE_LLM_MAX_RPM;
const running = await startReferenceLlm({
  port: Number(process.env.PORT ?? 8090),
  host: process.env.HOST ?? '0.0.0.0',
  modelsDir: process.env.REFERENCE_LLM_MODELS_DIR ?? '.data/reference-llm',
  batch: { completionDelayMs: Number(process.env.REFERENCE_LLM_BATCH_DELAY_MS ?? 1000) },
  pacing: { ...(latency ? { latencyMs: parseLatencyRange(latency) } : {}), ...(maxRpm ? { maxRequestsPerMinute: Number(maxRpm) } : {}) },
});
console.log(JSON.stringify({ msg: 'reference-llm listening', url: running.url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
