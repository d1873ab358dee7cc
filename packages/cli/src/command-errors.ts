import { CommanderError, type Command } from 'commander';
import type { RunStatus } from '@datashunt/contracts';
import { StartupError } from '@datashunt/runtime';
import { SmallModelError } from '@datashunt/small-models';
import { RunActionError } from './run-actions.js';

/** The CLI's exit codes: 0 done, 1 the run failed, was refused or cancelled (or the request could not be done), 2 a wrong command line. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A wrong command line: exit code 2 with a hint at --help. */
export class UsageError extends Error {}

/** A refused input (a file that does not parse, a model that does not load): exit code 1, one line. */
export class CommandError extends Error {}

/** Failures a person can act on from one line, with no stack: exit code 1. */
function isRefusal(error: unknown): boolean {
  return error instanceof CommandError || error instanceof RunActionError || error instanceof SmallModelError || error instanceof StartupError;
}

/** How a run that ended exits the CLI: 0 when it did its job, 1 when it failed or was cancelled. */
export function exitCodeOfStatus(status: RunStatus): number {
  return status === 'succeeded' || status === 'succeeded-with-warnings' ? EXIT.ok : EXIT.failed;
}

const exitCodes = new WeakMap<Command, number>();

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/** `model promote`: a command's path below the program, as error lines name it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A command's action: what it returns is the process's exit code, and expected failures become one
 * line on stderr (exit 2 for a wrong command line, 1 for a refusal). Anything else is a bug and propagates.
 */
export function action<A extends unknown[]>(run: (...args: A) => Promise<number>) {
  return async (...args: A): Promise<void> => {
    const command = args[args.length - 1] as Command;
    exitCodes.set(rootOf(command), await exitCodeOf(command, () => run(...args)));
  };
}

async function exitCodeOf(command: Command, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${commandPath(command)}: ${error.message}\n(add --help for usage)`);
      return EXIT.usage;
    }
    if (!isRefusal(error)) throw error;
    console.error(`${commandPath(command)}: ${(error as Error).message.replace(/\n\s*/g, '; ')}`);
    return EXIT.failed;
  }
}

/**
 * Parses and runs a command line against a program built with exitOverride: the exit code of the
 * action that ran, 0 for --help and --version, 2 for commander's own usage errors.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCodes.get(program) ?? EXIT.ok;
}
