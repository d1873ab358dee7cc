import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('trainer', async () => {
  const [{ runMain }, { trainerService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('trainer', (runtime) => [trainerService(runtime)]);
});
