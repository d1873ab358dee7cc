import { runMain } from '@datashunt/runtime';
import { llmCallerService } from './index.js';

await runMain('llm-caller', (runtime) => [llmCallerService(runtime)]);
