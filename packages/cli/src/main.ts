#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCli } from './program.js';

// `datashunt runs list | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
try {
  process.exitCode = await runCli(process.argv.slice(2), version);
} catch (error) {
  // A bug, not a refusal: one line rather than a stack, as every other failure.
  console.error(`datashunt: ${(error as Error).message}`);
  process.exitCode = 1;
}
