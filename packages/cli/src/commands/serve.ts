import { InvalidArgumentError, type Command } from 'commander';
import { runMain } from '@datashunt/runtime';
import { action } from '../command-errors.js';
import { list } from '../option-values.js';
import { buildServices, PIPELINE_SERVICES, serviceFactories } from '../services.js';

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .summary('host services (the whole pipeline by default) in this process')
    .description('host services in this process (default: the whole pipeline) until SIGTERM or SIGINT; config comes from the environment')
    .option('--services <names>', `comma-separated, of ${Object.keys(serviceFactories).join(', ')}`, serviceNames, PIPELINE_SERVICES)
    .action(action((o: { services: string[] }) => serve(o.services)));
}

function serviceNames(value: string): string[] {
  const names = list(value);
  const unknown = names.filter((name) => !(name in serviceFactories));
  if (unknown.length) throw new InvalidArgumentError(`unknown service ${unknown.join(', ')}.`);
  return names;
}

async function serve(names: string[]): Promise<number> {
  await runMain('datashunt', (runtime) => buildServices(runtime, names));
  // Keeps running until SIGTERM/SIGINT; runMain exits the process then.
  return new Promise<number>(() => undefined);
}
