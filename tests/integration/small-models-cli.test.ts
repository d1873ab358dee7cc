import { startLocalS3, type LocalS3 } from '@datashunt/storage';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../packages/cli/src/program';

const modelCommand = (argv: string[]) => runCli(['model', ...argv], 'test');

describe('datashunt model (CLI) against the embedded S3 server', () => {
  let server: LocalS3;
  let dir: string;
  let out: string[];
  let err: string[];
  let stderr: string[];
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-model-cli-'));
    server = await startLocalS3({ directory: join(dir, 's3') });
    Object.assign(process.env, { S3_ENDPOINT: server.endpoint, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_BUCKET: 'cli-models' });
    const rows = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i + offset}`, input: `${i % 2 ? 'awful stale' : 'lovely tasty'} item ${i + offset}`, label: i % 2 ? 'neg' : 'pos' })).join('\n');
    writeFileSync(join(dir, 'train.jsonl'), rows(80, 0));
    writeFileSync(join(dir, 'test.jsonl'), rows(20, 1000));
    writeFileSync(join(dir, 'bad.jsonl'), '{"id": 1, "input": "x", "label": "pos"}\nnot json\n');
  });
  afterAll(async () => {
    process.env = saved;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    jest.spyOn(console, 'error').mockImplementation((m: string) => void err.push(m));
    stderr = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('trains and registers, lists, evaluates and promotes', async () => {
    const train = ['train', '--name', 'cli', '--family', 'text-fasttext', '--train', join(dir, 'train.jsonl'), '--buckets', '1024', '--embedding-dim', '8', '--epochs', '5', '--learning-rate', '0.02'];
    expect(await modelCommand(train)).toBe(0);
    const version = /registered cli (\S+) as specific \(promoted\)/.exec(err.join('\n'))![1]!;
    expect(out.join('\n')).toMatch(/accuracy \d\.\d{4} {3}expected calibration error \d\.\d{4}/);

    expect(await modelCommand(['list', '--name', 'cli'])).toBe(0);
    expect(out.at(-1)).toMatch(new RegExp(`cli +${version} +specific +text-fasttext +2 .* specific$`));

    expect(await modelCommand(['eval', '--name', 'cli', '--data', join(dir, 'test.jsonl'), '--json'])).toBe(0);
    const report = JSON.parse(out.at(-1)!);
    expect(report).toMatchObject({ name: 'cli', version, rows: 20, perClass: { pos: { total: 10 }, neg: { total: 10 } } });
    expect(report.accuracy).toBeGreaterThan(0.9);
    expect(report.reliability).toHaveLength(10);

    expect(await modelCommand(['promote', '--name', 'cli', '--role', 'learnable', '--version', version])).toBe(0);
    expect(out.at(-1)).toBe(`cli learnable: (none) -> ${version}`);
  });

  it('exits 1 with one line for refused input and 2 with the usage for a bad command line', async () => {
    expect(await modelCommand(['promote', '--name', 'cli', '--role', 'specific', '--version', 'v0'])).toBe(1);
    expect(err).toEqual(['model promote: cannot promote cli v0: no such version']);
    expect(await modelCommand(['train', '--name', 'x', '--family', 'text-fasttext', '--train', join(dir, 'bad.jsonl')])).toBe(1);
    expect(err.at(-1)).toBe(`model train: ${join(dir, 'bad.jsonl')} line 2: not JSON (Unexpected token 'o', "not json" is not valid JSON)`);
    expect(await modelCommand(['train', '--name', 'x', '--family', 'text-fasttext', '--train', join(dir, 'none.jsonl')])).toBe(1);
    expect(err.at(-1)).toMatch(/^model train: cannot read .*none\.jsonl: ENOENT/);
    expect(await modelCommand(['list', '--frob'])).toBe(2);
    expect(stderr.join('')).toMatch(/unknown option '--frob'[\s\S]*--help/);
    expect(await modelCommand(['dance'])).toBe(2);
    expect(stderr.join('')).toMatch(/unknown command 'dance'/);
    expect(await modelCommand(['train', '--name', 'x', '--family', 'cnn', '--train', 't.jsonl'])).toBe(2);
    expect(stderr.join('')).toMatch(/--family <family>' argument 'cnn' is invalid/);
  });
});
