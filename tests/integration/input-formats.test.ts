import { gzipSync } from 'node:zlib';
import { encodePng, pixelsToImage } from '@datashunt/algorithms';
import { FeaturizerSchema, RejectRecordSchema, ResultRecordSchema, runKeys, type ManifestInput, type RejectRecord, type ResultRecord } from '@datashunt/contracts';
import { trainAndRegister } from '@datashunt/small-models';
import type { RunInputs, RunPlan } from '@datashunt/runs';
import { getBytes, getJson, putBytes, readAllJsonl } from '@datashunt/storage';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { spamManifest, startSpamStack, type SpamRow, type TestStack } from '../support/stack';

/**
 * One small dataset, five ways through the real pipeline: plain JSONL, gzip'd JSONL, CSV with its
 * own column names read through a field mapping, Parquet, and a prefix of two objects (JSONL and
 * CSV). Every way gives every row the same label; the CSV run also writes results.csv and
 * results.parquet with the carried column and the probabilities. Images as PNG bytes score exactly
 * as their pixel arrays do.
 */
describe('input and output formats', () => {
  let stack: TestStack;
  let rows: SpamRow[];

  beforeAll(async () => {
    const started = await startSpamStack();
    stack = started.stack;
    rows = started.splits.test.slice(0, 240);
  });
  afterAll(() => stack?.dispose());

  const put = (key: string, body: Buffer | string) => putBytes(stack.runtime.s3, { bucket: stack.runtime.bucket, key }, body);
  const jsonl = (items: SpamRow[]) => items.map((r) => JSON.stringify(r)).join('\n') + '\n';

  async function run(name: string, manifest: ManifestInput) {
    const key = `manifests/formats-${name}.json`;
    await stack.dropManifest(key, { ...manifest, name: `formats-${name}` });
    const outcome = await stack.watcher.wait(key, 240_000);
    if (outcome.status !== 'finished') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
    const { s3, bucket } = stack.runtime;
    const keys = runKeys('runs/', outcome.runId);
    const results = (await readAllJsonl(s3, { bucket, key: keys.results })).map((r) => ResultRecordSchema.parse(r));
    const rejects = (await readAllJsonl(s3, { bucket, key: keys.rejects })).map((r) => RejectRecordSchema.parse(r));
    return { runId: outcome.runId, keys, results, rejects };
  }

  it('labels every row the same from JSONL, gzip JSONL, mapped CSV, Parquet and a prefix of two objects', async () => {
    await put('datasets/formats/spam.jsonl', jsonl(rows));
    await put('datasets/formats/spam-gz', gzipSync(jsonl(rows)));
    const csv = stringify([['ticket', 'subject', 'body', 'category'], ...rows.map((r, i) => [r.id, `subject ${i}, "quoted"`, r.input, r.label])]);
    await put('datasets/formats/spam.csv', csv);
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: rows.map((r) => r.id), type: 'STRING' },
        { name: 'input', data: rows.map((r) => r.input), type: 'STRING' },
        { name: 'label', data: rows.map((r) => r.label), type: 'STRING' },
      ],
      rowGroupSize: 64,
    });
    await put('datasets/formats/spam.parquet', Buffer.from(parquet));
    // The prefix: a JSONL object with a blank line at its end, then a CSV object with one bad record.
    const [first, second] = [rows.slice(0, 100), rows.slice(100)];
    await put('datasets/formats/parts/part-1.jsonl', jsonl(first) + '\n');
    const beforeBad = stringify([['id', 'input', 'label'], ...second.slice(0, 10).map((r) => [r.id, r.input, r.label])]);
    await put('datasets/formats/parts/part-2.csv', beforeBad + stringify([['no-input-here'], ...second.slice(10).map((r) => [r.id, r.input, r.label])]));
    await put('datasets/formats/parts/_SUCCESS', '');

    const runs = await Promise.all([
      run('jsonl', spamManifest('datasets/formats/spam.jsonl')),
      run('gzip', spamManifest('datasets/formats/spam-gz')),
      run('csv', {
        ...spamManifest('datasets/formats/spam.csv'),
        input: { uri: 'datasets/formats/spam.csv', fields: { id: 'ticket', text: 'body', label: 'category' } },
        output: { include: ['subject'], formats: ['jsonl', 'csv', 'parquet'], probabilities: true },
      }),
      run('parquet', spamManifest('datasets/formats/spam.parquet')),
      run('prefix', spamManifest('datasets/formats/parts/')),
    ]);
    const [plain, gzip, csvRun, parquetRun, prefix] = runs;

    const labels = (results: ResultRecord[]) => new Map(results.map((r) => [String(r.id), r.label]));
    const expected = labels(plain!.results);
    expect(expected.size).toBe(rows.length);
    expect(plain!.rejects).toEqual([]);
    for (const other of [gzip, csvRun, parquetRun, prefix]) {
      expect(other!.results).toHaveLength(rows.length);
      expect(labels(other!.results)).toEqual(expected);
      // Golds came through every mapping.
      expect(other!.results.every((r) => r.gold === rows.find((row) => row.id === r.id)!.label)).toBe(true);
    }
    // Without output options, results keep their default shape.
    expect(plain!.results.every((r) => r.probabilities === undefined && r.columns === undefined)).toBe(true);
    expect(csvRun!.results[0]).toMatchObject({ columns: { subject: 'subject 0, "quoted"' }, probabilities: { ham: expect.any(Number), spam: expect.any(Number) } });

    // The prefix: row numbers continue into the second object; its rejects name the object and the record in it.
    const lineOf = new Map(prefix!.results.map((r) => [String(r.id), r.line]));
    expect(lineOf.get(first[0]!.id)).toBe(1);
    expect(lineOf.get(second[0]!.id)).toBe(first.length + 2);
    expect(lineOf.get(second[10]!.id)).toBe(first.length + 2 + 11);
    expect(prefix!.rejects).toEqual<RejectRecord[]>([
      { line: first.length + 1, reason: 'datasets/formats/parts/part-1.jsonl line 101: blank line', object: 'datasets/formats/parts/part-1.jsonl', objectLine: 101 },
      {
        line: first.length + 1 + 11,
        // E-mails span lines inside their quotes: the record starts on the line after everything before it.
        reason: `datasets/formats/parts/part-2.csv record 11 (starts on line ${beforeBad.split('\n').length}): has 1 field; the header has 3`,
        object: 'datasets/formats/parts/part-2.csv',
        objectLine: 11,
      },
    ]);
    // Planned from sizes alone: the JSONL object as byte ranges, the CSV whole (quoted fields may hold line breaks).
    const plan = await getJson<RunPlan>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: prefix!.keys.state });
    expect(plan.ranges.map((r) => [r.object, r.kind])).toEqual([[0, 'bytes'], [1, 'whole']]);
    // The objects read and how, recorded for a resume (the _SUCCESS marker skipped).
    const inputs = await getJson<RunInputs>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: prefix!.keys.inputs });
    expect(inputs.objects.map((o) => [o.key.split('/').pop(), o.format])).toEqual([
      ['part-1.jsonl', { records: 'jsonl', gzip: false }],
      ['part-2.csv', { records: 'csv', gzip: false }],
    ]);
    const gzipInputs = await getJson<RunInputs>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: gzip!.keys.inputs });
    expect(gzipInputs.objects[0]!.format).toEqual({ records: 'jsonl', gzip: true });

    // results.csv and results.parquet hold results.jsonl's rows, in its order, flattened.
    const { s3, bucket } = stack.runtime;
    const table = parse(await getBytes(s3, { bucket, key: csvRun!.keys.resultsTable('csv') }), { columns: true }) as Array<Record<string, string>>;
    expect(table.map((r) => [r.id, r.label, r.subject])).toEqual(csvRun!.results.map((r) => [String(r.id), r.label, r.columns!.subject]));
    expect(Number(table[0]!.p_spam)).toBeCloseTo(csvRun!.results[0]!.probabilities!.spam!, 12);
    const bytes = await getBytes(s3, { bucket, key: csvRun!.keys.resultsTable('parquet') });
    const file = { byteLength: bytes.length, slice: async (s: number, e?: number) => bytes.buffer.slice(bytes.byteOffset + s, bytes.byteOffset + (e ?? bytes.length)) };
    const parquetRows = await parquetReadObjects({ file });
    expect(parquetRows.map((r) => [r.id, Number(r.line), r.label, r.source, r.subject])).toEqual(csvRun!.results.map((r) => [String(r.id), r.line, r.label, r.source, r.columns!.subject]));
    expect(parquetRows.map((r) => r.p_ham)).toEqual(csvRun!.results.map((r) => r.probabilities!.ham));
  }, 400_000);

  it('decodes PNG images, as bytes in Parquet or base64 in JSONL, to the very pixels of the same images as arrays', async () => {
    const side = 4;
    const image = (i: number) => Array.from({ length: side * side }, (_, k) => (i % 2 ? 150 : 0) + ((i * 37 + k * 11) % 100));
    const labelOf = (i: number) => (i % 2 ? 'light' : 'dark');
    const train = Array.from({ length: 200 }, (_, i) => ({ input: image(i), label: labelOf(i) }));
    await trainAndRegister({ registry: stack.registry, name: 'tiny-image', family: 'image-mlp', labels: ['dark', 'light'], train, featurizer: FeaturizerSchema.parse({ kind: 'pixels', shape: [side, side], scale: 1 / 255 }), hyper: { epochs: 5, seed: 1 } });
    const ids = Array.from({ length: 40 }, (_, i) => i + 1000);
    const png = (i: number) => encodePng(pixelsToImage(image(i)));
    await put('datasets/formats/images.jsonl', ids.map((i) => JSON.stringify({ id: `img-${i}`, input: image(i), label: labelOf(i) })).join('\n'));
    await put(
      'datasets/formats/images.parquet',
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'name', data: ids.map((i) => `img-${i}`), type: 'STRING' },
            { name: 'picture', data: ids.map((i) => new Uint8Array(png(i))), type: 'BYTE_ARRAY' },
            { name: 'truth', data: ids.map(labelOf), type: 'STRING' },
          ],
        }),
      ),
    );
    const tooBig = encodePng(pixelsToImage(Array.from({ length: 64 }, () => 9)));
    await put('datasets/formats/images-b64.jsonl', [...ids.map((i) => JSON.stringify({ id: `img-${i}`, png: png(i).toString('base64') })), JSON.stringify({ id: 'too-big', png: `data:image/png;base64,${tooBig.toString('base64')}` })].join('\n'));

    const imageManifest = (uri: string, fields?: Record<string, string>): ManifestInput => ({
      ...spamManifest(uri),
      task: { type: 'classification', labels: ['dark', 'light'], instruction: 'Dark or light?', inputKind: 'image' },
      input: { uri, ...(fields ? { fields } : {}) },
      smallModel: { name: 'tiny-image', useLearnable: false },
      strategy: 'small-only',
    });
    const [arrays, parquetImages, base64] = await Promise.all([
      run('image-arrays', imageManifest('datasets/formats/images.jsonl')),
      run('image-parquet', imageManifest('datasets/formats/images.parquet', { id: 'name', image: 'picture', label: 'truth' })),
      run('image-base64', imageManifest('datasets/formats/images-b64.jsonl', { image: 'png' })),
    ]);
    const scores = (results: ResultRecord[]) => results.map((r) => [r.id, r.label, r.c_s1]);
    expect(arrays!.results).toHaveLength(ids.length);
    expect(scores(parquetImages!.results)).toEqual(scores(arrays!.results));
    expect(scores(base64!.results)).toEqual(scores(arrays!.results));
    expect(parquetImages!.results.map((r) => r.gold)).toEqual(ids.map(labelOf));
    expect(base64!.rejects).toEqual([{ line: ids.length + 1, id: 'too-big', reason: `line ${ids.length + 1}: png (input.fields.image) is a 8x8 image; the model takes 4x4 grey images` }]);
  });

  it('refuses a prefix with a binary object and a CSV without the mapped column, naming them', async () => {
    await put('datasets/formats/mixed/a.jsonl', jsonl(rows.slice(0, 5)));
    await put('datasets/formats/mixed/b.jsonl', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 9, 9]));
    const mixed = await refused('mixed', spamManifest('datasets/formats/mixed/'));
    expect(mixed).toEqual([{ path: 'input.uri', message: expect.stringMatching(/^s3:\/\/[^/]+\/datasets\/formats\/mixed\/b\.jsonl: input is a zip archive/) }]);

    await put('datasets/formats/renamed.csv', 'ticket,body\n1,hello\n');
    const unmapped = await refused('unmapped', spamManifest('datasets/formats/renamed.csv'));
    expect(unmapped).toEqual([
      { path: 'input.fields', message: 'column "id" is not in the CSV header (columns: ticket, body); name the id column with input.fields.id' },
      { path: 'input.fields', message: 'column "input" is not in the CSV header (columns: ticket, body); name the input column with input.fields.text' },
    ]);
  });

  async function refused(name: string, manifest: ManifestInput) {
    const key = `manifests/formats-${name}.json`;
    await stack.dropManifest(key, { ...manifest, name: `formats-${name}` });
    const outcome = await stack.watcher.wait(key, 60_000);
    if (outcome.status !== 'invalid') throw new Error(`${name} ran: ${JSON.stringify(outcome)}`);
    return (await getJson<{ issues: Array<{ path: string; message: string }> }>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: outcome.errorKey })).issues;
  }
});
