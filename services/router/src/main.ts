import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('router', async () => {
  const [{ runMain }, { routerService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('router', (runtime) => [routerService(runtime)]);
});
