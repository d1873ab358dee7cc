/** A wrong command line: exit code 2 with the usage text. */
export class UsageError extends Error {}

/** A refused input (a file that does not parse, a model that does not load): exit code 1, one line. */
export class CommandError extends Error {}

export type Subcommand = (argv: string[]) => Promise<number>;

/**
 * `datashunt <group> <sub> ...`: runs the subcommand and turns expected failures into exit codes:
 * 2 with the usage for a wrong command line, 1 with one line for a refused input (CommandError or
 * an error `isRefusal` accepts). Anything else is a bug and propagates.
 */
export async function dispatch(
  group: string,
  usage: string,
  subcommands: Record<string, Subcommand>,
  argv: string[],
  isRefusal: (error: unknown) => boolean = () => false,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage);
    return name === undefined ? 2 : 0;
  }
  const run = subcommands[name];
  if (!run) {
    console.error(`unknown ${group} command "${name}"\n${usage}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    const wrongLine = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!wrongLine && !(error instanceof CommandError) && !isRefusal(error)) throw error;
    console.error(`${group} ${name}: ${(error as Error).message}${wrongLine ? `\n${usage}` : ''}`);
    return wrongLine ? 2 : 1;
  }
}
