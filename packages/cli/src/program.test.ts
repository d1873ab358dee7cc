import type { Command } from 'commander';
import { buildProgram, runCli } from './program';

/** Runs a command line in-process, capturing what it writes. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true)),
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`)),
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`)),
  ];
  try {
    return { code: await runCli(argv, '1.2.3-test'), out, err };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

function commandPaths(command: Command, path: string[] = []): string[][] {
  return command.commands.flatMap((c) => [[...path, c.name()], ...commandPaths(c, [...path, c.name()])]);
}

describe('datashunt command line', () => {
  it('prints its version and the commands', async () => {
    expect(await cli('--version')).toEqual({ code: 0, out: '1.2.3-test\n', err: '' });
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const name of ['submit', 'runs', 'manifest', 'demo', 'serve', 'model', 'calibrate', 'bootstrap', 'distill', 'bench', 'bench-datasets']) expect(help.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(help.out).toMatch(/Exit codes: 0 done; 1 .*; 2 a wrong command line/);
  });

  it('has --help on every command and subcommand', async () => {
    const paths = commandPaths(buildProgram('x'));
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['runs list', 'runs show', 'runs watch', 'runs cancel', 'runs resume', 'manifest check', 'model train', 'model eval', 'distill now', 'bench run', 'submit']),
    );
    for (const path of paths) {
      const { code, out } = await cli(...path, '--help');
      expect({ path, code }).toEqual({ path, code: 0 });
      expect(out).toContain(`Usage: datashunt ${path.join(' ')}`);
    }
  });

  it('exits 2 for a wrong command line, naming what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: datashunt/],
      [['runs'], /Usage: datashunt runs/],
      [['frob'], /unknown command 'frob'/],
      [['runs', 'show'], /missing required argument 'run'/],
      [['runs', 'list', '--limit', '0'], /--limit <n>' argument '0' is invalid\. must be a whole number >= 1/],
      [['runs', 'watch', 'r', '--timeout-minutes', 'soon'], /argument 'soon' is invalid/],
      [['submit', 'a.json', 'b.json'], /too many arguments/],
      [['serve', '--services', 'ingest,nope'], /unknown service nope/],
      [['calibrate', 'm.json', '--sample', 's.jsonl', '--target', 'cheapest'], /Allowed choices are max-accuracy, match-large, budget/],
      [['distill', 'schedule', '--model', 'm'], /^distill schedule: give one of --every and --cron\n\(add --help for usage\)/],
      [['calibrate', 'm.json', '--sample', 's.jsonl', '--target', 'budget'], /^calibrate: --target budget needs --max-query-share or --max-usd-per-1k/],
      [['bootstrap', '--manifest', 'm.json', '--input', 'x.jsonl', '--max-usd', '1'], /required option '--sample <n>' not specified/],
      [['bootstrap', '--manifest', 'm.json', '--input', 'x.jsonl', '--sample', '10', '--max-usd', '0'], /--max-usd <d>' argument '0' is invalid\. must be a number above 0/],
      [['bootstrap', '--manifest', 'm.json', '--input', 'x.jsonl', '--sample', '10', '--max-usd', '1', '--family', 'image-cnn'], /Allowed choices are text-fasttext, image-mlp/],
      [['bootstrap', '--manifest', 'm.json', '--input', 'x.jsonl', '--sample', '10', '--max-usd', '1', '--target', 'budget'], /^bootstrap: --target budget needs --max-query-share or --max-usd-per-1k/],
    ];
    for (const [argv, message] of cases) {
      const { code, err, out } = await cli(...argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(err).toMatch(message);
      expect(out).toBe('');
    }
  });

  it("reads --version after a subcommand as that subcommand's option, not the program's", async () => {
    const missing = await cli('model', 'promote', '--name', 'm', '--role', 'specific', '--version');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/option '--version <version>' argument missing/);
    expect(missing.out).not.toContain('1.2.3-test');
  });

  it('exits 1 with one line for a request it cannot do', async () => {
    const { code, err } = await cli('manifest', 'check', '/nonexistent/manifest.json');
    expect(code).toBe(1);
    expect(err).toMatch(/^manifest check: cannot read \/nonexistent\/manifest\.json: ENOENT[^\n]*\n$/);
  });
});
