import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('llm-caller', async () => {
  const [{ runMain }, { llmCallerService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('llm-caller', (runtime) => [llmCallerService(runtime)]);
});
