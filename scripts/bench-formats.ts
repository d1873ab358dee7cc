/**
 * Input format reading speed: the same rows as plain JSONL (the baseline), gzip'd JSONL, CSV (its own
 * column names, read through a field mapping) and Parquet (snappy, row groups of --row-group rows),
 * each read the way ingest reads them (packages/formats readers, then @datashunt/formats' mapRecord (what a scorer runs) to a
 * validated row), from local files so that what is measured is the reader, not S3. Each reader runs
 * in its own process, so its peak RSS is its own; runs alternate the order.
 *
 *   node_modules/.bin/tsx scripts/bench-formats.ts [--rows 1000000] [--runs 3] [--chars 400] [--row-group 100000]
 *
 * Texts are slices of the SpamAssassin corpus (built by @datashunt/datasets) at scattered offsets,
 * --chars long on average (review-sized by default), so that every text is unique and compresses like
 * text does (generated word salad would flatter gzip and Parquet's dictionaries).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { stringify } from 'csv-stringify/sync';
import { asyncBufferFromFile } from 'hyparquet';
import { fileWriter, parquetWriteRows } from 'hyparquet-writer';
import type { Manifest } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { gunzipChunks, mapRecord, mappedColumns, readCsvRecords, readJsonlRecords, readParquetLayout, readParquetRecords, rowMapping, type InputRecord } from '@datashunt/formats';

const READERS = ['jsonl', 'jsonl.gz', 'csv', 'parquet'] as const;
type Reader = (typeof READERS)[number];

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    chars: { type: 'string', default: '400' },
    'row-group': { type: 'string', default: '100000' },
    // Internal: one measurement in a child process.
    measure: { type: 'string' },
    dir: { type: 'string' },
  },
});

const labels = ['ham', 'spam'];
const manifestFor = (reader: Reader) =>
  ({
    task: { type: 'classification', labels, instruction: 'x', inputKind: 'text' },
    input: { uri: 'datasets/x', ...(reader === 'csv' ? { fields: { id: 'ticket', text: 'body', label: 'category' } } : {}) },
    output: { prefix: 'runs/' },
  }) as Manifest;

async function corpus(): Promise<string> {
  await buildDataset('spam');
  const paths = datasetPaths('spam');
  const splits = await Promise.all([paths.train, paths.validation, paths.test].map((path) => readJsonlFileAll<{ input: string }>(path)));
  // Surrogates dropped, so that no slice cuts a character in two.
  return splits.flat().map((r) => r.input).join(' ').replace(/[\uD800-\uDFFF]/g, '');
}

function* rows(text: string, count: number, meanChars: number) {
  const span = text.length - 2 * meanChars;
  for (let i = 0; i < count; i++) {
    const start = (i * 7919 * 13) % span;
    yield { id: `row-${i}`, input: text.slice(start, start + 1 + ((i * 104_729) % (2 * meanChars))), label: labels[i % 3 ? 0 : 1]! };
  }
}

async function writeStreamed(path: string, chunks: Iterable<string>, gzip = false) {
  const file = createWriteStream(path);
  const out = gzip ? createGzip() : file;
  if (gzip) (out as ReturnType<typeof createGzip>).pipe(file);
  for (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(file, 'finish');
}

function* batched<T>(items: Iterable<T>, size: number, render: (batch: T[]) => string) {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield render(batch);
      batch = [];
    }
  }
  if (batch.length) yield render(batch);
}

async function writeInputs(dir: string, count: number, meanChars: number, rowGroup: number) {
  const text = await corpus();
  const jsonl = (batch: Array<{ id: string; input: string; label: string }>) => batch.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await writeStreamed(join(dir, 'rows.jsonl'), batched(rows(text, count, meanChars), 10_000, jsonl));
  await writeStreamed(join(dir, 'rows.jsonl.gz'), batched(rows(text, count, meanChars), 10_000, jsonl), true);
  const csvRows = (function* () {
    yield stringify([['ticket', 'body', 'category']]);
    yield* batched(rows(text, count, meanChars), 10_000, (batch) => stringify(batch.map((r) => [r.id, r.input, r.label])));
  })();
  await writeStreamed(join(dir, 'rows.csv'), csvRows);
  const writer = fileWriter(join(dir, 'rows.parquet'));
  await parquetWriteRows({
    writer,
    rows: rows(text, count, meanChars),
    columns: [
      { name: 'id', type: 'STRING' },
      { name: 'input', type: 'STRING' },
      { name: 'label', type: 'STRING' },
    ],
    rowGroupSize: rowGroup,
  });
}

async function records(reader: Reader, dir: string, columns: string[]): Promise<AsyncIterable<InputRecord>> {
  if (reader === 'parquet') {
    const file = await asyncBufferFromFile(join(dir, 'rows.parquet'));
    return readParquetRecords(file, await readParquetLayout(file), columns);
  }
  if (reader === 'csv') return readCsvRecords(createReadStream(join(dir, 'rows.csv')));
  return readJsonlRecords(reader === 'jsonl.gz' ? gunzipChunks(createReadStream(join(dir, 'rows.jsonl.gz'))) : createReadStream(join(dir, 'rows.jsonl')));
}

/** One reader, in this process: records mapped to validated rows, as ingest does them. */
async function measure(reader: Reader, dir: string) {
  const mapping = rowMapping(manifestFor(reader));
  let peakRss = process.memoryUsage.rss();
  let valid = 0;
  let chars = 0;
  const started = performance.now();
  for await (const record of await records(reader, dir, mappedColumns(mapping))) {
    const mapped = record.problem === undefined ? mapRecord(record.value, mapping) : record;
    if ('row' in mapped) {
      valid += 1;
      chars += (mapped.row.input as string).length;
    }
    if (record.number % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const ms = performance.now() - started;
  console.log(JSON.stringify({ reader, valid, chars, ms, peakRssMb: Math.round(peakRss / 1024 / 1024) }));
}

async function main() {
  if (values.measure) return measure(values.measure as Reader, values.dir!);
  const count = Number(values.rows);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'ds-formats-'));
  try {
    let t = performance.now();
    await writeInputs(dir, count, Number(values.chars), Number(values['row-group']));
    console.log(`wrote ${count} rows in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    for (const [reader, file] of [['jsonl', 'rows.jsonl'], ['jsonl.gz', 'rows.jsonl.gz'], ['csv', 'rows.csv'], ['parquet', 'rows.parquet']]) {
      console.log(`  ${reader.padEnd(9)} ${(statSync(join(dir, file!)).size / 1024 / 1024).toFixed(0)} MiB`);
    }
    const results: Record<Reader, Array<{ valid: number; chars: number; ms: number; peakRssMb: number }>> = { jsonl: [], 'jsonl.gz': [], csv: [], parquet: [] };
    for (let r = 0; r < runs; r++) {
      const order = r % 2 ? [...READERS].reverse() : READERS;
      for (const reader of order) {
        t = performance.now();
        const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--measure', reader, '--dir', dir], { encoding: 'utf8' });
        results[reader].push(JSON.parse(out.trim().split('\n').pop()!));
      }
    }
    const base = results.jsonl[0]!;
    for (const reader of READERS) {
      const bad = results[reader].find((m) => m.valid !== count || m.chars !== base.chars);
      if (bad) throw new Error(`${reader} read ${bad.valid} rows (${bad.chars} chars), expected ${count} (${base.chars})`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const baseMs = median(results.jsonl.map((m) => m.ms));
    console.log(`\n${count} rows, median of ${runs} runs each; ratio = rows/s against plain JSONL in this run`);
    console.log('| reader | rows/s | ratio to JSONL | peak RSS MB | runs (s) |\n|---|---|---|---|---|');
    for (const reader of READERS) {
      const ms = median(results[reader].map((m) => m.ms));
      const rss = Math.max(...results[reader].map((m) => m.peakRssMb));
      console.log(`| ${reader} | ${Math.round(count / (ms / 1000)).toLocaleString('en')} | ${(baseMs / ms).toFixed(2)} | ${rss} | ${results[reader].map((m) => (m.ms / 1000).toFixed(1)).join(', ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
