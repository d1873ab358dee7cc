import { runMain } from '@datashunt/runtime';
import { finalizeService } from './index.js';

await runMain('finalize', (runtime) => [finalizeService(runtime)]);
