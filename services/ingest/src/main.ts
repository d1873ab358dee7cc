import { runMain } from '@datashunt/runtime';
import { ingestService } from './index.js';

await runMain('ingest', (runtime) => [ingestService(runtime)]);
