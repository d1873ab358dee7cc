import { manifestErrorKey, ReportSchema, RejectRecordSchema, ResultRecordSchema, runKeys, type Report } from '@datashunt/contracts';
import { progressView, RunProgress, type RunPlan } from '@datashunt/runs';
import { bullConnection, ownKeyPrefix } from '@datashunt/runtime';
import { getJson, readAllJsonl } from '@datashunt/storage';
import { datasetPaths } from '@datashunt/datasets';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type SpamRow, type TestStack } from '../support/stack';

/** The real pipeline on SpamAssassin rows with bad rows seeded among them. */
describe('pipeline end to end', () => {
  let stack: TestStack;
  let test: SpamRow[];

  beforeAll(async () => {
    const splits = await spamSplits();
    test = splits.test.slice(0, 420);
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train });
    await trainSpamModel(stack.registry, splits.train, splits.validation);
  });
  afterAll(() => stack?.dispose());

  it('ends every input row as exactly one result or one reject, and reports on them', async () => {
    const bad = [
      '{"id": "broken-json", "input": "unterminated',
      JSON.stringify({ id: 'no-input' }),
      JSON.stringify({ id: 'wrong-label', input: 'hello there', label: 'eggs' }),
      JSON.stringify({ id: 'pixels-for-text', input: [1, 2, 3] }),
      JSON.stringify(['not', 'an', 'object']),
    ];
    // Bad rows at the start, middle and end, and a blank line: each is a reject.
    const lines = [bad[0], ...test.slice(0, 200).map((r) => JSON.stringify(r)), bad[1], bad[2], '', ...test.slice(200).map((r) => JSON.stringify(r)), bad[3], bad[4]];
    await stack.put('datasets/spam-seeded.jsonl', lines.join('\n') + '\n');
    const rowLines = lines.map((text, i) => ({ text, line: i + 1 }));

    await stack.dropManifest('manifests/seeded.json', spamManifest('datasets/spam-seeded.jsonl'));
    const outcome = await stack.watcher.wait('manifests/seeded.json', 150_000);
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;

    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const rejects = (await readAllJsonl(s3, { bucket, key: keys.rejects })).map((r) => RejectRecordSchema.parse(r));
    const report: Report = ReportSchema.parse(await getJson(s3, { bucket, key: keys.report }));

    const seen = [...results.map((r) => r.line), ...rejects.map((r) => r.line)].sort((a, b) => a - b);
    expect(seen).toEqual(rowLines.map((l) => l.line));
    expect(rejects.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^line 1: not valid JSON/),
      expect.stringMatching(/^line 202: input:/),
      'line 203: label is not one of the task\'s labels (ham, spam)',
      'line 204: blank line',
      'line 425: input must be a string for a text task',
      expect.stringMatching(/^line 426: \(row\)/),
    ]);
    expect(rejects.filter((r) => r.excerpt !== undefined)).toEqual([]);
    expect(results).toHaveLength(test.length);
    expect(results.map((r) => r.id)).toEqual(test.map((r) => r.id));

    expect(report.rows).toBe(rowLines.length);
    expect(report.rejects).toBe(6);
    const bySource = report.bySource;
    expect(bySource.small + bySource.learnable + bySource.large + bySource.fallback).toBe(test.length);
    expect(bySource.small).toBeGreaterThan(0);
    expect(bySource.large).toBeGreaterThan(0);
    for (const r of results) {
      if (r.source === 'small') expect(r.c_s1).toBeGreaterThanOrEqual(0.99);
      if (r.source === 'large') {
        expect(r.c_s1).toBeLessThan(0.99);
        expect(r.tokens.input).toBeGreaterThan(0);
        expect(r.cost).toBeGreaterThan(0);
        expect(r.c_l).not.toBeNull();
      }
    }
    expect(report.queryProportion).toBeCloseTo((bySource.large + bySource.fallback) / test.length, 10);
    expect(report.costUsd).toBeCloseTo(results.reduce((s, r) => s + r.cost, 0), 6);
    expect(report.accuracy!.overall.total).toBe(test.length);
    expect(report.accuracy!.overall.accuracy).toBeGreaterThan(0.8);

    // The live counters a watcher reads agree with the report once the run is done.
    const plan = await getJson<RunPlan>(s3, { bucket, key: keys.state });
    const progress = await new RunProgress(stack.runtime.redis, ownKeyPrefix(stack.runtime.config.QUEUE_PREFIX)).read(outcome.runId);
    expect(progress).toMatchObject({
      phase: report.status,
      planned: true,
      rows: test.length,
      ingestRejects: 6,
      shards: plan.shards,
      scored: test.length,
      routed: test.length,
      hard: bySource.large + bySource.fallback,
      answered: bySource.large + bySource.fallback,
      shardsDone: plan.shards,
      shardsWritten: plan.shards,
    });
    expect(progressView(progress!, report.costUsd)).toMatchObject({ finished: rowLines.length, total: rowLines.length, fraction: 1, etaSeconds: 0 });
  });

  it('starts one run for a manifest announced twice, and a new run when the manifest changes', async () => {
    await stack.put('datasets/spam-small.jsonl', toJsonl(test.slice(0, 30)));
    const manifest = spamManifest('datasets/spam-small.jsonl', { name: 'twice' });
    await stack.dropManifest('manifests/twice.json', manifest);
    const first = await stack.watcher.wait('manifests/twice.json', 120_000);
    // The same object announced again, and swept: neither starts a run.
    await stack.dropManifest('manifests/twice.json', manifest);
    const sweep = await stack.runtime.queues.add({ name: 'manifest-sweep', data: {} });
    const events = new (await import('bullmq')).QueueEvents('ingest', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    const swept = await sweep.waitUntilFinished(events, 30_000);
    await events.close();
    expect(swept.started).toBe(0);
    expect(swept.listed).toBeGreaterThanOrEqual(2);
    const ingestJobs = await stack.runtime.queues.queue('ingest').getJobs(['completed', 'active', 'waiting', 'waiting-children', 'delayed']);
    expect(ingestJobs.filter((j) => j.name === 'manifest-ingest' && j.data.key === 'manifests/twice.json')).toHaveLength(1);
    expect(first.status).toBe('finished');
  });

  it('scores with a newly promoted version without a restart, and records the version per result', async () => {
    const before = await stack.registry.current('spam-text', 'specific');
    const splits = await spamSplits();
    const retrained = await trainSpamModel(stack.registry, splits.train.slice(0, 1500), splits.validation);
    expect(retrained.meta.version).not.toBe(before);
    await stack.put('datasets/spam-promoted.jsonl', toJsonl(test.slice(0, 40)));
    await stack.dropManifest('manifests/promoted.json', spamManifest('datasets/spam-promoted.jsonl', { name: 'promoted' }));
    const outcome = await stack.watcher.wait('manifests/promoted.json', 120_000);
    if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));
    const results = await readAllJsonl<{ modelVersion: string; source: string }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', outcome.runId).results });
    expect(new Set(results.map((r) => r.modelVersion))).toEqual(new Set([retrained.meta.version]));
  });

  it('leaves error.json naming the field path of an invalid manifest, and starts no run', async () => {
    await stack.dropManifest('manifests/bad-delta.json', { ...spamManifest('datasets/spam-small.jsonl'), delta: 7, task: { type: 'classification', labels: ['ham'] } });
    const outcome = await stack.watcher.wait('manifests/bad-delta.json', 60_000);
    expect(outcome.status).toBe('invalid');
    if (outcome.status !== 'invalid') return;
    expect(outcome.errorKey).toBe(manifestErrorKey('runs/', 'manifests/bad-delta.json'));
    const error = await getJson<{ issues: Array<{ path: string; message: string }> }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.errorKey });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['delta', 'task.instruction', 'task.labels']);
  });
});
