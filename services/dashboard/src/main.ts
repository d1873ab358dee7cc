import { runMain } from '@datashunt/runtime';
import { dashboardService } from './index.js';

await runMain('dashboard', (runtime) => [dashboardService(runtime)]);
