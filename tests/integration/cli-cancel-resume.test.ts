import { BudgetMeter } from '@datashunt/llm';
import { ResultRecordSchema, runKeys, type Report } from '@datashunt/contracts';
import { RunProgress } from '@datashunt/runs';
import { ownKeyPrefix } from '@datashunt/runtime';
import { readAllJsonl } from '@datashunt/storage';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, waitUntil, type CliProcess } from '../support/cli';
import { spamManifest, startSpamStack, toJsonl, type TestStack } from '../support/stack';

interface Outcome {
  runId: string;
  status: string;
  report: Report | null;
}

/**
 * A run's life through the CLI process: a slow run cancelled (`runs cancel`), and a run failed by an S3
 * outage longer than its jobs' retries, then finished by `runs resume` without paying twice.
 */
describe('datashunt runs cancel and runs resume (CLI process)', () => {
  let stack: TestStack;
  let dir: string;
  const manifestFile = (name: string, manifest: unknown) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(manifest));
    return path;
  };
  const progress = () => new RunProgress(stack.runtime.redis, ownKeyPrefix(stack.config.QUEUE_PREFIX));
  const results = async (runId: string) =>
    (await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).results })).map((r) => ResultRecordSchema.parse(r));
  const completions = async () => ((await (await fetch(`${stack.llmUrl.replace(/\/v1$/, '/admin')}/stats`)).json()) as { completions: number }).completions;
  /** The run id submit names on stderr (with --json) or stdout. */
  const runIdOf = (text: string) => /\(run (\S+)\)/.exec(text)?.[1];

  beforeAll(async () => {
    // A short outage window: a shard whose jobs cannot reach S3 fails after the catalog's own attempts (about 15 s).
    const started = await startSpamStack({ env: { SWEEP_EVERY_MS: '300', OUTAGE_RETRY_WINDOW_MS: '1000', LLM_CONCURRENCY: '4' } });
    stack = started.stack;
    dir = join(stack.dir, 'manifests');
    mkdirSync(dir);
    await stack.put('datasets/slow.jsonl', toJsonl(started.splits.test.slice(0, 300)));
    await stack.put('datasets/outage.jsonl', toJsonl(started.splits.test.slice(300, 900)));
  });
  const running: CliProcess[] = [];
  afterAll(async () => {
    for (const cli of running) cli.kill();
    await stack?.dispose();
  });

  it('cancels a slow run: rows not yet asked fall back flagged cancelled, every row has one result, the report says cancelled', async () => {
    // One large-model request per minute: without the cancel this run would take hours.
    const file = manifestFile('slow', spamManifest('datasets/slow.jsonl', { name: 'slow', delta: 0.9999, shardSize: 100, largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 1 } }));
    const submit = startCli(stack.config, ['submit', file, '--wait', '--json', '--timeout-minutes', '3']);
    running.push(submit);
    const runId = await waitUntil('submit to name the run', () => runIdOf(submit.stderr()));
    await waitUntil('hard rows waiting for the large model', async () => {
      const state = await progress().read(runId);
      return state !== null && state.planned && state.hard > state.answered + 1;
    });

    const cancel = await runCli(stack.config, ['runs', 'cancel', runId]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^cancelled run ${runId} \\(woke \\d+ calls waiting for a rate-limit slot\\)`));

    const submitted = await submit.done;
    expect(submitted.code).toBe(1);
    const outcome = JSON.parse(submitted.stdout) as Outcome;
    expect(outcome).toMatchObject({ runId, status: 'cancelled' });
    const report = outcome.report!;
    expect(report.warnings[0]).toMatch(/^cancelled by .* \(datashunt runs cancel\) at /);
    expect(report.fallbackReasons.cancelled).toBeGreaterThan(0);
    const rows = await results(runId);
    expect(rows.map((r) => r.line).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(rows.filter((r) => r.fallbackReason === 'cancelled')).toHaveLength(report.fallbackReasons.cancelled!);
    for (const row of rows.filter((r) => r.fallbackReason === 'cancelled')) expect(row).toMatchObject({ source: 'fallback', cost: 0 });

    // Watching it now prints the report and exits by its status; it cannot be cancelled twice.
    const watched = await runCli(stack.config, ['runs', 'watch', runId]);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain(`run ${runId}  (manifests/slow.json)  CANCELLED`);
    const again = await runCli(stack.config, ['runs', 'cancel', runId]);
    expect(again).toMatchObject({ code: 1, stderr: `runs cancel: run ${runId} already finished (cancelled); nothing to cancel\n` });
  });

  it('resumes a run failed by an S3 outage: every row ends with one result and no answer is paid twice', async () => {
    const file = manifestFile('outage', spamManifest('datasets/outage.jsonl', { name: 'outage', delta: 0.9999, shardSize: 100, largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 600 } }));
    const paidAtStart = await completions();
    const submitted = await runCli(stack.config, ['submit', file, '--json']);
    expect(submitted.code).toBe(0);
    const runId = runIdOf(submitted.stderr)!;
    expect(submitted.stderr).toContain(`follow it with: datashunt runs watch ${runId}`);
    expect(JSON.parse(submitted.stdout)).toEqual({ runId, status: 'submitted', report: null, message: null });
    // S3 goes away once a shard is done, and comes back once a shard has failed for good.
    await waitUntil('a finished shard', async () => ((await progress().read(runId))?.shardsDone ?? 0) >= 1);
    await stack.stopS3();
    try {
      await waitUntil(
        'a shard that failed for good',
        async () => (await stack.runtime.queues.queue('route').getFailed()).some((job) => (job.data as { runId: string }).runId === runId),
        240_000,
      );
    } finally {
      await stack.startS3();
    }
    const failed = await runCli(stack.config, ['runs', 'watch', runId, '--json', '--no-progress', '--timeout-minutes', '5']);
    expect(failed.code).toBe(1);
    const failedReport = (JSON.parse(failed.stdout) as Outcome).report!;
    expect(failedReport).toMatchObject({ status: 'failed', failure: expect.stringContaining('rows not finished; `datashunt runs resume` finishes them') });
    expect(failedReport.unfinishedRows).toBeGreaterThan(0);
    expect(failedReport.results + failedReport.rejects + failedReport.unfinishedRows).toBe(600);
    const paidBefore = await completions();

    const resumed = await runCli(stack.config, ['runs', 'resume', runId, '--json', '--timeout-minutes', '5']);
    expect(resumed.stderr).toContain(`resuming run ${runId} (manifest manifests/outage.json)`);
    expect(resumed.code).toBe(0);
    const report = (JSON.parse(resumed.stdout) as Outcome).report!;
    expect(report.status).toMatch(/^succeeded/);
    expect(report.unfinishedRows).toBe(0);
    const rows = await results(runId);
    expect(rows.map((r) => r.line).sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));

    // The provider's count of completions agrees with the run's meter, and no row was asked twice:
    // answers of the failed attempt came from the answer log and the response cache.
    const paidAfter = await completions();
    const meter = await new BudgetMeter(stack.runtime.redis, ownKeyPrefix(stack.config.QUEUE_PREFIX)).usage(runId);
    expect(paidAfter - paidAtStart).toBe(meter.paidCalls);
    expect(paidAfter - paidBefore).toBe(meter.paidCalls - failedReport.requests!.paid);
    const asked = report.bySource.large + report.bySource.fallback;
    expect(meter.paidCalls).toBeLessThanOrEqual(asked + (report.fallbackReasons.unresolved ?? 0));
  });
});
