import { launchWithServiceHeap } from '@datashunt/runtime/service-heap';

await launchWithServiceHeap('ingest', async () => {
  const [{ runMain }, { ingestService }] = await Promise.all([import('@datashunt/runtime'), import('./index.js')]);
  await runMain('ingest', (runtime) => [ingestService(runtime)]);
});
