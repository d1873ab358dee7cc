import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { buildDataset, datasetPaths } from '@datashunt/datasets';
import { getBytes, headObject } from '@datashunt/storage';
import { runCli } from '../support/cli';
import { startTestStack, toJsonl, type TestStack } from '../support/stack';

/**
 * `datashunt dataset put` as a person runs it: the built CLI as a child process uploading into the
 * stack's S3 over HTTP (no pipeline services), checking rows on the way and refusing what ingest would not read.
 */
describe('datashunt dataset put (CLI process)', () => {
  let stack: TestStack;
  let file: string;
  const rows = [
    ...Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, input: `hello ${i}`, label: 'ham' })),
    { id: 's0', input: 'win money', label: 'spam' },
    { id: 'x', input: 'odd one', label: 'eggs' },
  ];
  const exists = async (key: string) => (await headObject(stack.runtime.s3, { bucket: stack.runtime.bucket, key })) !== undefined;

  beforeAll(async () => {
    await buildDataset('spam');
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train, services: [] });
    file = join(stack.dir, 'small.jsonl');
    writeFileSync(file, `${toJsonl(rows)}{"id": "cut", "inp\n`);
  });
  afterAll(() => stack?.dispose());

  it('uploads the file as it is and prints rows, rejects by reason with their lines, classes and a rare-class warning', async () => {
    const key = 'datasets/put/small.jsonl';
    const put = await runCli(stack.config, ['dataset', 'put', file, `s3://${stack.runtime.bucket}/${key}`, '--labels', 'ham,spam', '--min-per-class', '3']);
    expect(put.code).toBe(0);
    expect(put.stdout).toContain(`uploaded ${file} -> s3://${stack.runtime.bucket}/${key}`);
    expect(put.stdout).toContain('rows: 9 (valid 7, rejected 2)');
    expect(put.stdout).toMatch(/^ {2}1 {2}label is not one of the task's labels \(ham, spam\) {2}\(line 8\)$/m);
    expect(put.stdout).toMatch(/^ {2}1 {2}.+ {2}\(line 9\)$/m);
    expect(put.stdout).toMatch(/^ {2}ham: 6\n {2}spam: 1$/m);
    expect(put.stdout).toContain('warning: class "spam" has 1 rows, fewer than 3');
    expect(await getBytes(stack.runtime.s3, { bucket: stack.runtime.bucket, key })).toEqual(readFileSync(file));
  });

  it('reads gzip through a manifest task, says so in --json, and refuses when rejects exceed --max-reject-share', async () => {
    const gz = join(stack.dir, 'small.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const manifest = join(stack.dir, 'task.json');
    writeFileSync(manifest, JSON.stringify({ task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'spam?' }, input: { uri: 'x' } }));
    const key = 'datasets/put/small.jsonl.gz';
    const json = await runCli(stack.config, ['dataset', 'put', gz, `s3://${stack.runtime.bucket}/${key}`, '--manifest', manifest, '--json']);
    expect(json.code).toBe(0);
    const summary = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ uploaded: true, rows: 9, valid: 7, rejected: 2, classes: { ham: 6, spam: 1 }, unlabelled: 0 });
    expect(summary.warnings).toEqual(['class "ham" has 6 rows, fewer than 20', 'class "spam" has 1 rows, fewer than 20']);
    expect(await exists(key)).toBe(true);

    const strictKey = 'datasets/put/strict.jsonl';
    const strict = await runCli(stack.config, ['dataset', 'put', file, `s3://${stack.runtime.bucket}/${strictKey}`, '--labels', 'ham,spam', '--max-reject-share', '0.1']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('dataset put: 2 of 9 rows rejected, more than --max-reject-share 0.1: nothing uploaded');
    expect(await exists(strictKey)).toBe(false);
  });

  it('refuses a destination outside INPUT_SCOPES or under the system\'s own prefixes, with the reason, uploading nothing', async () => {
    const outside = await runCli(stack.config, ['dataset', 'put', file, 's3://another-bucket/datasets/x.jsonl', '--labels', 'ham,spam']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/destination s3:\/\/another-bucket\/datasets\/x\.jsonl is outside the readable scopes .*INPUT_SCOPES/);
    const own = await runCli(stack.config, ['dataset', 'put', file, `s3://${stack.runtime.bucket}/manifests/x.jsonl`, '--labels', 'ham,spam']);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/destination s3:\/\/\S+\/manifests\/x\.jsonl (lies under|is outside)/);
    expect(await exists('manifests/x.jsonl')).toBe(false);
  });
});
