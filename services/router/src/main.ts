import { runMain } from '@datashunt/runtime';
import { routerService } from './index.js';

await runMain('router', (runtime) => [routerService(runtime)]);
