import { runKeys, type RejectRecord, type Report, type ResultRecord } from '@datashunt/contracts';
import type { RunPlan } from '@datashunt/runs';
import { gzipSync } from 'node:zlib';
import { stringify } from 'csv-stringify/sync';
import { getJson, listObjects, putBytes, readAllJsonl } from '@datashunt/storage';
import { spamManifest, startSpamStack, type TestStack } from '../support/stack';

/**
 * Runs planned from object sizes: ingest reads no row, each scorer reads its byte range, and every
 * line of the input ends as exactly one result or reject under its own line number, however the
 * ranges cut the objects.
 */
describe('runs planned as byte ranges', () => {
  let stack: TestStack;
  let rows: Array<{ id: string; input: string; label: string }>;

  beforeAll(async () => {
    // Staged above 16 KiB: a few dozen e-mails already make a gzip'd or CSV object that ingest stages.
    const started = await startSpamStack({ env: { STAGE_ABOVE_BYTES: String(16 * 1024) } });
    stack = started.stack;
    rows = started.splits.test.slice(0, 600);
  });
  afterAll(() => stack?.dispose());

  /** The lines of a JSONL object with bad lines at the given positions (1-based), and no final newline. */
  const withBadLines = (part: typeof rows, bad: Map<number, string>) => {
    const lines: string[] = [];
    let next = 0;
    for (let line = 1; next < part.length || bad.has(line); line++) lines.push(bad.get(line) ?? JSON.stringify(part[next++]));
    return lines;
  };

  const run = async (name: string, uri: string) => {
    // shardSize 40 over e-mails of a few kB: tens of ranges, most of them starting mid-line.
    await stack.dropManifest(`manifests/${name}.json`, spamManifest(uri, { name, shardSize: 40 }));
    const outcome = await stack.watcher.wait(`manifests/${name}.json`, 300_000);
    if (outcome.status !== 'finished') throw new Error(`run ${name} did not finish: ${JSON.stringify(outcome)}`);
    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    return {
      keys,
      report: await getJson<Report>(s3, { bucket, key: keys.report }),
      plan: await getJson<RunPlan>(s3, { bucket, key: keys.state }),
      results: await readAllJsonl<ResultRecord>(s3, { bucket, key: keys.results }),
      rejects: await readAllJsonl<RejectRecord>(s3, { bucket, key: keys.rejects }),
    };
  };

  it('gives every line of one object exactly one result or reject, under its own line number', async () => {
    const bad = new Map([
      [1, ''],
      [97, '{"id":"broken", "input": '],
      [98, '   '],
      [301, '{"id":"x","input":"hi","label":"eggs"}'],
    ]);
    const lines = withBadLines(rows, bad);
    await stack.put('datasets/ranges/one.jsonl', lines.join('\n'));
    const { keys, report, plan, results, rejects } = await run('ranges-one', 'datasets/ranges/one.jsonl');

    expect(plan.ranges.length).toBeGreaterThan(10);
    expect(plan.ranges.every((r) => r.kind === 'bytes' && r.object === 0)).toBe(true);
    expect(report.status).toBe('succeeded-with-warnings');
    expect(report.warnings).toEqual([`${bad.size} of ${lines.length} rows were rejected (see rejects.jsonl)`]);
    expect([report.results, report.rejects]).toEqual([rows.length, bad.size]);
    // Each result sits at the line its row came from; each reject names its line.
    const idAt = (line: number) => (JSON.parse(lines[line - 1]!) as { id: string }).id;
    expect(results.map((r) => r.line)).toEqual([...Array(lines.length).keys()].map((i) => i + 1).filter((line) => !bad.has(line)));
    expect(results.every((r) => r.id === idAt(r.line))).toBe(true);
    expect(rejects.map((r) => r.line).sort((a, b) => a - b)).toEqual([...bad.keys()]);
    expect(rejects.find((r) => r.line === 301)!.reason).toBe("line 301: label is not one of the task's labels (ham, spam)");
    expect(rejects.find((r) => r.line === 98)!.reason).toBe('line 98: blank line');
    // Ingest copied nothing: no shard objects, only the scorer's compact output per shard.
    const stored = [];
    for await (const item of listObjects(stack.runtime.s3, stack.runtime.bucket, keys.root)) stored.push(item.key.slice(keys.root.length));
    expect(stored.some((key) => key.startsWith('shards/'))).toBe(false);
    expect(stored.filter((key) => key.startsWith('scored/'))).toHaveLength(plan.shards);
  });

  it('numbers lines across the objects of a prefix and names each reject by object and line in it', async () => {
    const first = withBadLines(rows.slice(0, 250), new Map([[120, 'not json']]));
    const second = withBadLines(rows.slice(250), new Map([[200, '']]));
    await stack.put('datasets/ranges/many/a.jsonl', `${first.join('\n')}\n`);
    await stack.put('datasets/ranges/many/b.jsonl', second.join('\n'));
    const { plan, results, rejects, report } = await run('ranges-many', 'datasets/ranges/many/');

    expect(new Set(plan.ranges.map((r) => r.object))).toEqual(new Set([0, 1]));
    expect(plan.ranges.length).toBeGreaterThan(4);
    expect(report.results).toBe(rows.length);
    expect(results.map((r) => r.line)).toEqual([...Array(first.length + second.length).keys()].map((i) => i + 1).filter((line) => line !== 120 && line !== first.length + 200));
    expect(rejects.map(({ line, object, objectLine }) => ({ line, object, objectLine }))).toEqual([
      { line: 120, object: 'datasets/ranges/many/a.jsonl', objectLine: 120 },
      { line: first.length + 200, object: 'datasets/ranges/many/b.jsonl', objectLine: 200 },
    ]);
    expect(rejects[1]!.reason).toBe('datasets/ranges/many/b.jsonl line 200: blank line');
  });

  it('stages large gzip-compressed and CSV objects as shards of records, numbering their lines as one stream would', async () => {
    const part = rows.slice(0, 300);
    const jsonl = withBadLines(part, new Map([[77, 'not json']]));
    await putBytes(stack.runtime.s3, { bucket: stack.runtime.bucket, key: 'datasets/ranges/staged/a.jsonl.gz' }, gzipSync(`${jsonl.join('\n')}\n`));
    // A record missing a field, and e-mails whose quoted text spans lines.
    const csvRecords = part.map((r, i) => (i === 149 ? [r.id] : [r.id, r.input, r.label]));
    await stack.put('datasets/ranges/staged/b.csv', stringify([['id', 'input', 'label'], ...csvRecords]));
    const { plan, results, rejects, report } = await run('ranges-staged', 'datasets/ranges/staged/');

    expect(plan.ranges.every((r) => r.kind === 'staged')).toBe(true);
    expect(plan.ranges.filter((r) => r.object === 0).length).toBe(Math.ceil(jsonl.length / 40));
    expect(report.results + report.rejects).toBe(jsonl.length + part.length);
    const csvStart = jsonl.length;
    expect(results.map((r) => r.line)).toEqual([...Array(jsonl.length + part.length).keys()].map((i) => i + 1).filter((line) => line !== 77 && line !== csvStart + 150));
    expect(results.filter((r) => r.line > csvStart).every((r) => r.id === part[r.line - csvStart - 1]!.id)).toBe(true);
    expect(rejects.map(({ line, objectLine }) => ({ line, objectLine }))).toEqual([
      { line: 77, objectLine: 77 },
      { line: csvStart + 150, objectLine: 150 },
    ]);
    expect(rejects[1]!.reason).toMatch(/^datasets\/ranges\/staged\/b\.csv record 150 \(starts on line \d+\): has 1 field; the header has 3$/);
  });
});
