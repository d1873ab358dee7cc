import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('dashboard', async () => {
  const [{ runMain }, { dashboardService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('dashboard', (runtime) => [dashboardService(runtime)]);
});
