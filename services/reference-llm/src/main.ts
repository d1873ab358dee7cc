import { startReferenceLlm } from './server.js';

// Started from env: PORT (8090), HOST (0.0.0.0), REFERENCE_LLM_MODELS_DIR (.data/reference-llm),
// REFERENCE_LLM_BATCH_DELAY_MS (how long a batch takes; 1000).
const running = await startReferenceLlm({
  port: Number(process.env.PORT ?? 8090),
  host: process.env.HOST ?? '0.0.0.0',
  modelsDir: process.env.REFERENCE_LLM_MODELS_DIR ?? '.data/reference-llm',
  batch: { completionDelayMs: Number(process.env.REFERENCE_LLM_BATCH_DELAY_MS ?? 1000) },
});
console.log(JSON.stringify({ msg: 'reference-llm listening', url: running.url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
