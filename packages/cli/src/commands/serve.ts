import { parseArgs } from 'node:util';
import { runMain } from '@datashunt/runtime';
import { buildServices, PIPELINE_SERVICES, serviceFactories } from '../services.js';

const USAGE = `usage: datashunt serve [--services ${Object.keys(serviceFactories).join(',')}]
Hosts the named services in this process (default: the whole pipeline); config comes from the environment.`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { services: { type: 'string', default: PIPELINE_SERVICES.join(',') }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = values.services!.split(',').map((s) => s.trim()).filter(Boolean);
  await runMain('datashunt', (runtime) => buildServices(runtime, names));
  // Keeps running until SIGTERM/SIGINT; runMain exits the process then.
  return new Promise<number>(() => undefined);
}
