import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('scorer', async () => {
  const [{ runMain }, { scorerService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('scorer', (runtime) => [scorerService(runtime)]);
});
