import { runMain } from '@datashunt/runtime';
import { trainerService } from './index.js';

await runMain('trainer', (runtime) => [trainerService(runtime)]);
