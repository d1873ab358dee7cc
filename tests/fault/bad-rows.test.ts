import { gzipSync } from 'node:zlib';
import { manifestErrorKey, RejectRecordSchema, ResultRecordSchema, runKeys, type Report } from '@datashunt/contracts';
import { getJson, putBytes, readAllJsonl } from '@datashunt/storage';
import { datasetPaths } from '@datashunt/datasets';
import { spamManifest, spamSplits, startTestStack, trainSpamModel, type SpamRow, type TestStack } from '../support/stack';

/**
 * Hostile line structure through the real stack: bare CRs inside garbage, a BOM, blank, whitespace-only
 * and CRLF lines, no final newline. Every physical line ends as exactly one result or one reject under
 * its own line number, and no reject copies line contents (REJECT_EXCERPTS is off by default).
 * Binary input (and binary inside gzip) is refused before any shard.
 */
describe('bad rows', () => {
  let stack: TestStack;
  let rows: SpamRow[];

  beforeAll(async () => {
    const splits = await spamSplits();
    rows = splits.test.slice(0, 40);
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train });
    // Any working model will do: these tests are about lines, not accuracy.
    await trainSpamModel(stack.registry, splits.train.slice(0, 600), splits.validation.slice(0, 200));
  });
  afterAll(() => stack?.dispose());

  it('ends every physical line as one result or one reject with its line number, and echoes nothing', async () => {
    const row = (i: number) => JSON.stringify(rows[i]);
    // Each entry is one physical line: its bytes before the line ending, the ending, and its fate.
    const lines: Array<{ text: string; eol: '\n' | '\r\n' | ''; reject?: string; id?: string }> = [
      { text: `\uFEFF${row(0)}`, eol: '\n', id: rows[0]!.id },
      { text: row(1), eol: '\r\n', id: rows[1]!.id },
      { text: Array.from({ length: 38 }, (_, i) => `SECRET-junk-${i}`).join('\r'), eol: '\n', reject: 'not valid JSON' },
      ...rows.slice(2, 12).map((r, i) => ({ text: JSON.stringify(r), eol: (i % 2 ? '\r\n' : '\n') as '\n' | '\r\n', id: r.id })),
      { text: '', eol: '\n', reject: 'blank line' },
      { text: '   \t  ', eol: '\n', reject: 'blank line' },
      { text: '', eol: '\r\n', reject: 'blank line' },
      { text: '\r\r', eol: '\n', reject: 'blank line' },
      { text: JSON.stringify({ id: 'off-label', input: 'SECRET text', label: 'SECRET-label' }), eol: '\r\n', reject: "label is not one of the task's labels", id: 'off-label' },
      ...rows.slice(12, 39).map((r) => ({ text: JSON.stringify(r), eol: '\n' as const, id: r.id })),
      { text: `{"id":"cut","input":"SECRET unterminated`, eol: '\n', reject: 'not valid JSON' },
      { text: row(39), eol: '', id: rows[39]!.id },
    ];
    const body = lines.map((l) => l.text + l.eol).join('');
    expect(body.split('\r').length - 1).toBeGreaterThanOrEqual(37);
    await stack.put('datasets/bad-rows.jsonl', body);
    // Small shards, so line numbers must also hold across shard boundaries.
    await stack.dropManifest('manifests/bad-rows.json', spamManifest('datasets/bad-rows.jsonl', { name: 'bad-rows', shardSize: 7 }));
    const outcome = await stack.watcher.wait('manifests/bad-rows.json', 170_000);
    if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));

    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const rejectsRaw = await readAllJsonl<Record<string, unknown>>(s3, { bucket, key: keys.rejects });
    const rejects = rejectsRaw.map((r) => RejectRecordSchema.parse(r));
    const report = await getJson<Report>(s3, { bucket, key: keys.report });

    const expected = lines.map((l, i) => ({ ...l, line: i + 1 }));
    const ended = [...results.map((r) => r.line), ...rejects.map((r) => r.line)].sort((a, b) => a - b);
    expect(ended).toEqual(expected.map((l) => l.line));
    expect(results.map((r) => ({ line: r.line, id: r.id }))).toEqual(expected.filter((l) => !l.reject).map((l) => ({ line: l.line, id: l.id })));
    expect(rejects.map((r) => ({ line: r.line, reason: r.reason.replace(/ \(at character \d+\)$/, '').replace(/ \(ham, spam\)$/, '') }))).toEqual(
      expected.filter((l) => l.reject).map((l) => ({ line: l.line, reason: `line ${l.line}: ${l.reject}` })),
    );
    expect(rejects.find((r) => r.line === expected.find((l) => l.id === 'off-label')!.line)?.id).toBe('off-label');
    expect(rejectsRaw.filter((r) => 'excerpt' in r)).toEqual([]);
    expect(JSON.stringify(rejectsRaw)).not.toContain('SECRET');
    expect(report.rows).toBe(lines.length);
    expect(report.rejects).toBe(lines.filter((l) => l.reject).length);
  });

  it.each([
    // gzip'd JSONL is read (tests/integration/input-formats.test.ts); binary inside gzip is not.
    ['gzip-binary', gzipSync(Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0x93, 0x10])), /input is binary, not UTF-8 text .*\(inside its gzip compression\)$/],
    ['zip', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(rows0Jsonl())]), /input is a zip archive \(starts with bytes 50 4b 03 04\)/],
    ['binary', Buffer.concat([Buffer.from('{"id":1}\n'), Buffer.from([0, 1, 2, 3, 0xff, 0x00, 0x10])]), /input is binary/],
  ])('refuses %s input with an error.json on input.uri and starts no run', async (kind, bytes, message) => {
    const { s3, bucket } = stack.runtime;
    await putBytes(s3, { bucket, key: `datasets/${kind}.jsonl` }, bytes);
    const manifestKey = `manifests/${kind}-input.json`;
    await stack.dropManifest(manifestKey, spamManifest(`datasets/${kind}.jsonl`, { name: `${kind}-input` }));
    const outcome = await stack.watcher.wait(manifestKey, 60_000);
    if (outcome.status !== 'invalid') throw new Error(JSON.stringify(outcome));
    expect(outcome.errorKey).toBe(manifestErrorKey('runs/', manifestKey));
    expect(outcome.message).toMatch(message);
    const error = await getJson<{ issues: Array<{ path: string; message: string }> }>(s3, { bucket, key: outcome.errorKey });
    expect(error.issues).toEqual([{ path: 'input.uri', message: expect.stringMatching(message) }]);
  });
});

function rows0Jsonl(): string {
  return Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: `r${i}`, input: `hello ${i}` })).join('\n');
}
