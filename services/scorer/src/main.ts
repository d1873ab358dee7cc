import { runMain } from '@datashunt/runtime';
import { scorerService } from './index.js';

await runMain('scorer', (runtime) => [scorerService(runtime)]);
