import { Command } from 'commander';
import { runProgram } from './command-errors.js';
import { addBenchCommands } from './commands/bench.js';
import { addBenchDatasetsCommand } from './commands/bench-datasets.js';
import { addBootstrapCommand } from './commands/bootstrap.js';
import { addCalibrateCommand } from './commands/calibrate.js';
import { addDemoCommand } from './commands/demo.js';
import { addDistillCommands } from './commands/distill.js';
import { addManifestCommands } from './commands/manifest.js';
import { addModelCommands } from './commands/model.js';
import { addRunsCommands } from './commands/runs.js';
import { addServeCommand } from './commands/serve.js';
import { addSubmitCommand } from './commands/submit.js';

const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 the run failed, was refused or cancelled, or the request could not be done; 2 a wrong command line.
Settings (Redis, S3, endpoints) come from the environment: see the README's Configuration.`;

/**
 * The `datashunt` command tree. Settings given here are inherited by every subcommand: errors are
 * thrown rather than exiting (runProgram turns them into exit codes), and the program's own options
 * (--version) are read only before the subcommand, so `model promote --version V` stays the model's.
 */
export function buildProgram(version: string): Command {
  const program = new Command('datashunt')
    .description('DS+ batch classification: a small model answers what it is sure of, a large model the rest')
    .version(version, '-V, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  addSubmitCommand(program);
  addRunsCommands(program);
  addManifestCommands(program);
  addDemoCommand(program);
  addServeCommand(program);
  addModelCommands(program);
  addCalibrateCommand(program);
  addBootstrapCommand(program);
  addDistillCommands(program);
  addBenchCommands(program);
  addBenchDatasetsCommand(program);
  return program;
}

/** Runs one command line (without the node and script paths); resolves to the exit code. */
export function runCli(argv: string[], version: string): Promise<number> {
  return runProgram(buildProgram(version), argv);
}
