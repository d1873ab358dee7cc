import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportSchema, runKeys } from '@datashunt/contracts';
import { getJson } from '@datashunt/storage';
import { runCli } from '../support/cli';
import { spamManifest, startSpamStack, toJsonl, type TestStack } from '../support/stack';

const PROGRESS_LINE = /^\[[#?-]{24}\] +(\?|\d+)% .* \| scored [\d,]+, routed [\d,]+ \| large model [\d,]+\/[\d,]+ \| query share (-|[\d.]+%) \| \$[\d.]+ \| \w+ /;

/**
 * The `datashunt` program as a person or a script runs it: a child process of the built CLI against a
 * real stack (Redis, the embedded S3 server over HTTP, the reference LLM), with the manifest sweep on.
 */
describe('datashunt (CLI process)', () => {
  let stack: TestStack;
  let dir: string;
  const manifestFile = (name: string, manifest: unknown) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(manifest, null, 2));
    return path;
  };
  const reportOf = async (runId: string) => ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).report }));

  beforeAll(async () => {
    const started = await startSpamStack({ env: { SWEEP_EVERY_MS: '300' } });
    stack = started.stack;
    dir = join(stack.dir, 'manifests');
    mkdirSync(dir);
    await stack.put('datasets/cli.jsonl', toJsonl(started.splits.test.slice(0, 600)));
  });
  afterAll(() => stack?.dispose());

  it('answers --version, --help and a wrong command line like a program', async () => {
    const { version } = JSON.parse(readFileSync('packages/cli/package.json', 'utf8')) as { version: string };
    expect(await runCli(stack.config, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await runCli(stack.config, ['runs', 'watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: datashunt runs watch \[options\] <run>/);
    expect(help.stdout).toContain('--no-progress');
    const wrong = await runCli(stack.config, ['runs', 'show']);
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toMatch(/missing required argument 'run'/);
    expect((await runCli(stack.config, ['submit', '--frob', 'x.json'])).code).toBe(2);
  });

  it('submit --wait shows live progress, then the report; the same manifest again says it already ran', async () => {
    const file = manifestFile('cli-wait', spamManifest('datasets/cli.jsonl', { name: 'cli-wait', shardSize: 100 }));
    const submitted = await runCli(stack.config, ['submit', file, '--wait', '--timeout-minutes', '5']);
    expect(submitted.code).toBe(0);
    const runId = /uploaded s3:\/\/\S+\/manifests\/cli-wait\.json \(run (cli-wait-[0-9a-f]{8})\)/.exec(submitted.stdout)![1]!;
    const report = await reportOf(runId);
    expect(submitted.stdout).toContain(`run ${runId}  (manifests/cli-wait.json)  ${report.status.toUpperCase()}`);
    expect(submitted.stdout).toContain(`results: s3://${stack.runtime.bucket}/runs/${runId}/results.jsonl`);
    // Not a TTY: whole progress lines, the last one when the run ended, with its final numbers.
    const progress = submitted.stderr.split('\n').filter((l) => l.startsWith('['));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const line of progress) expect(line).toMatch(PROGRESS_LINE);
    const last = progress.at(-1)!;
    expect(last).toMatch(/^\[#{24}\] 100% 600\/600 rows \| scored 600, routed 600 \| /);
    expect(last).toContain(`large model ${report.bySource.large + report.bySource.fallback}/${report.bySource.large + report.bySource.fallback}`);
    expect(last).toContain(`query share ${(report.queryProportion * 100).toFixed(1)}%`);
    expect(last).toContain(`| ${report.status} `);

    // The same bytes again: ingest will not run them twice, and the CLI says so at once with the report.
    const again = await runCli(stack.config, ['submit', file, '--wait', '--json', '--timeout-minutes', '1']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`this manifest version already ran as run ${runId}`);
    expect(JSON.parse(again.stdout)).toEqual({ runId, status: report.status, report: JSON.parse(JSON.stringify(report)), message: null, alreadyRan: true });
  });

  it('runs list and runs show, for people and as JSON', async () => {
    const listed = await runCli(stack.config, ['runs', 'list', '--json']);
    expect(listed.code).toBe(0);
    const runs = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const run = runs.find((r) => String(r.runId).startsWith('cli-wait-'))!;
    const report = await reportOf(String(run.runId));
    expect(run).toMatchObject({ status: report.status, rows: 600, queryShare: report.queryProportion, costUsd: report.costUsd, accuracy: report.accuracy!.overall.accuracy, startedAt: report.createdAt });
    expect(report.accuracy!.overall.accuracy).toBeGreaterThan(0.5);

    const table = await runCli(stack.config, ['runs', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^run +status +rows +query share +dollars +accuracy +started$/);
    expect(table.stdout).toMatch(new RegExp(`^${run.runId} +${report.status} +600 +${(report.queryProportion * 100).toFixed(1)}% +\\$[\\d.]+ +${(report.accuracy!.overall.accuracy! * 100).toFixed(1)}% `, 'm'));

    const shown = await runCli(stack.config, ['runs', 'show', String(run.runId), '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runId: run.runId, status: report.status, report: JSON.parse(JSON.stringify(report)), progress: null, error: null });
    const watched = await runCli(stack.config, ['runs', 'watch', String(run.runId)]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain(`run ${run.runId}`);

    const missing = await runCli(stack.config, ['runs', 'show', 'no-such-run']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`runs show: no run "no-such-run" under runs/ in s3://${stack.runtime.bucket}\n`);
  });

  it('says at once that a manifest was refused, also when the same bytes are submitted again, and lists it', async () => {
    const file = manifestFile('cli-bad', { ...spamManifest('datasets/cli.jsonl', { name: 'cli-bad' }), delat: 0.5 });
    const refused = await runCli(stack.config, ['submit', file, '--wait', '--timeout-minutes', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^manifest refused: invalid manifest: delat: unknown field "delat"; did you mean "delta"\?/m);

    const again = await runCli(stack.config, ['submit', file, '--wait', '--json', '--timeout-minutes', '1']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'refused', report: null, alreadyRan: true, message: expect.stringMatching(/^this manifest version was refused at .*: invalid manifest: delat/) });

    const runs = JSON.parse((await runCli(stack.config, ['runs', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(runs.find((r) => r.manifestKey === 'manifests/cli-bad.json')).toMatchObject({ status: 'refused', message: expect.stringContaining('delat') });
  });

  it('manifest check: valid, invalid with each issue on its own line, and without S3', async () => {
    const valid = manifestFile('check-ok', spamManifest('datasets/cli.jsonl', { name: 'check-ok' }));
    const ok = await runCli(stack.config, ['manifest', 'check', valid]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n')).toEqual([
      `${valid}: valid`,
      expect.stringMatching(new RegExp(`^  input s3://${stack.runtime.bucket}/datasets/cli\\.jsonl: \\d+ bytes, jsonl$`)),
      expect.stringMatching(/^ {2}small model spam-text \S+: labels ham, spam$/),
      '  delta 0.99 (from the manifest)',
      '',
    ]);

    // Ingest's checks in ingest's order: the policy, then the small model, then the input objects.
    const policy = manifestFile('check-policy', spamManifest('s3://elsewhere/data.jsonl', { output: { prefix: 'private/' } }));
    const refused = await runCli(stack.config, ['manifest', 'check', policy]);
    expect(refused.code).toBe(1);
    expect(refused.stdout.split('\n')).toEqual([
      `${policy}: invalid (2 issues)`,
      expect.stringMatching(/^ {2}input\.uri: /),
      expect.stringMatching(/^ {2}output\.prefix: /),
      '',
    ]);
    const labels = manifestFile('check-labels', spamManifest('datasets/cli.jsonl', { task: { type: 'classification', labels: ['ham', 'eggs'], instruction: 'Spam?' } }));
    const bad = await runCli(stack.config, ['manifest', 'check', labels]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n')).toEqual([
      `${labels}: invalid (1 issue)`,
      expect.stringMatching(/^ {2}task\.labels: the task's labels differ from model spam-text@\S+'s \[ham, spam\] \(not known to the model: eggs; missing from the task: spam\)$/),
      '',
    ]);
    const missing = manifestFile('check-missing', spamManifest('datasets/missing.jsonl'));
    const asJson = await runCli(stack.config, ['manifest', 'check', missing, '--json']);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toEqual({ file: missing, valid: false, issues: [{ path: 'input.uri', message: 'object not found' }], found: null, notChecked: null });

    const typo = manifestFile('check-typo', { ...spamManifest('datasets/cli.jsonl'), budgetUSD: 3 });
    const schema = await runCli(stack.config, ['manifest', 'check', typo]);
    expect(schema.code).toBe(1);
    expect(schema.stdout).toMatch(/^ {2}budgetUSD: unknown field "budgetUSD"; did you mean "budgetUsd"\?/m);

    // No S3 to ask (nothing listens on port 9): the schema and the policy are still checked.
    const offline = await runCli(stack.config, ['manifest', 'check', valid], { S3_ENDPOINT: 'http://127.0.0.1:9' });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/: valid\n {2}not checked: S3 at http:\/\/127\.0\.0\.1:9 could not be read \(.*\): the small model, the input and the delta were not checked\n$/);
    expect((await runCli(stack.config, ['manifest', 'check', policy], { S3_ENDPOINT: 'http://127.0.0.1:9' })).code).toBe(1);
  });
});
