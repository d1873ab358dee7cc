import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('finalize', async () => {
  const [{ runMain }, { finalizeService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('finalize', (runtime) => [finalizeService(runtime)]);
});
