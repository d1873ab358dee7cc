import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { checkInputUri, FieldMappingSchema, InputFormatSchema, TaskSchema, type ObjectLocation } from '@datashunt/contracts';
import {
  FORMAT_SNIFF_BYTES,
  FormatError,
  gunzipChunks,
  readCsvRecords,
  readJsonlRecords,
  readParquetLayout,
  readParquetRecords,
  resolveObjectFormat,
  type InputRecord,
  type ObjectFormat,
} from '@datashunt/formats';
import { mappedColumns, rowMapping, type RowMapping } from '@datashunt/ingest';
import { loadConfig, s3OptionsOf } from '@datashunt/runtime';
import { createS3Client, ObjectWriter } from '@datashunt/storage';
import { action, CommandError, EXIT, UsageError } from '../command-errors.js';
import { printJson } from '../cli-runtime.js';
import { DatasetTally, formatDatasetSummary, rejectShare, type DatasetSummary } from '../dataset-tally.js';
import { list, nonNegativeNumber, share } from '../option-values.js';

interface PutOptions {
  labels?: string[];
  manifest?: string;
  minPerClass: number;
  maxRejectShare?: number;
  json?: boolean;
}

/** The parts of a manifest `dataset put --manifest` reads: the task, and how input columns are named. */
const TaskFileSchema = z.object({
  task: z.object({ labels: TaskSchema.shape.labels, inputKind: TaskSchema.shape.inputKind }),
  input: z.object({ fields: FieldMappingSchema.optional(), format: InputFormatSchema.optional() }).optional(),
});

export function addDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('bring datasets to S3');
  dataset
    .command('put')
    .description(
      'upload a dataset into an input scope (INPUT_SCOPES), checking every row as ingest would: rows, rejects by reason, rows per class; ' +
        'exits 0 when uploaded (warnings allowed), 1 when refused',
    )
    .argument('<file>', 'local JSONL, CSV (either gzip\'d) or Parquet file')
    .argument('<uri>', 's3://bucket/key to upload to; must lie inside an input scope')
    .option('--labels <labels>', 'the label set, comma-separated', list)
    .option('--manifest <file>', 'take the label set, input kind and input.fields (and input.format) from a manifest')
    .option('--min-per-class <n>', 'warn about a class with fewer valid rows than this', nonNegativeNumber, 20)
    .option('--max-reject-share <share>', 'refuse (and upload nothing) when more than this share of rows is rejected; unset: never refuse for rejects', share)
    .option('--json', 'one JSON document on stdout: {file, uri, uploaded, refused?, rows, valid, rejected, rejects, classes, unlabelled, warnings}')
    .action(action((file: string, uri: string, o: PutOptions) => put(file, uri, o)));
}

async function put(file: string, uri: string, o: PutOptions): Promise<number> {
  if ((o.labels === undefined) === (o.manifest === undefined)) throw new UsageError('give the label set with exactly one of --labels or --manifest');
  const task = o.manifest ? await readTaskFile(o.manifest) : { task: { labels: o.labels!, inputKind: 'text' as const } };
  if (new Set(task.task.labels).size !== task.task.labels.length) throw new UsageError('--labels must not repeat a label');
  const mapping = rowMapping({ task: task.task, input: { fields: task.input?.fields }, output: {} });
  // Decoding images needs the small model's shape, which only a run knows: ingest checks those.
  if (mapping.inputRole === 'image') throw new CommandError('image inputs (input.fields.image) are checked by ingest against the model\'s image shape, not here');
  const config = loadConfig();
  const destination = checkInputUri(uri, config.scopes, 'destination');
  if (!destination.ok) throw new CommandError(destination.message);
  const head = await readHead(file);
  const format = resolveObjectFormat(destination.value.key, task.input?.format, head);
  if (!format.ok) throw new CommandError(`${file}: ${format.problem}`);

  const tally = new DatasetTally(mapping, format.format.records);
  try {
    for await (const record of readFileRecords(file, format.format, mapping)) tally.add(record);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    tally.unreadable(error.message);
  }
  const summary = tally.summary(o.minPerClass);
  const tooManyRejects = o.maxRejectShare !== undefined && rejectShare(summary) > o.maxRejectShare;
  const refused = tooManyRejects ? `${summary.rejected} of ${summary.rows} rows rejected, more than --max-reject-share ${o.maxRejectShare}: nothing uploaded` : undefined;
  if (!refused) await upload(file, destination.value, format.format, config);
  report(file, uri, summary, refused, o.json);
  return refused ? EXIT.failed : EXIT.ok;
}

async function readTaskFile(path: string): Promise<z.infer<typeof TaskFileSchema>> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new CommandError(`cannot read ${path}: ${error.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CommandError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = TaskFileSchema.safeParse(json);
  if (!parsed.success) throw new CommandError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r').catch((error: Error) => {
    throw new CommandError(`cannot read ${path}: ${error.message}`);
  });
  try {
    const buffer = Buffer.alloc(FORMAT_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, FORMAT_SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The file's records through the same readers ingest uses: text streamed (inflated when gzip'd), Parquet over ranged reads of the mapped columns. */
async function* readFileRecords(path: string, format: ObjectFormat, mapping: RowMapping): AsyncGenerator<InputRecord> {
  if (format.records === 'parquet') {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const file = {
        byteLength: size,
        async slice(start: number, end = size): Promise<ArrayBuffer> {
          const buffer = Buffer.alloc(end - start);
          await handle.read(buffer, 0, buffer.length, start);
          return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length);
        },
      };
      const layout = await readParquetLayout(file);
      yield* readParquetRecords(file, layout, mappedColumns(mapping).filter((c) => layout.columns.includes(c)));
    } finally {
      await handle.close();
    }
    return;
  }
  const stream: AsyncIterable<Uint8Array> = createReadStream(path);
  const bytes = format.gzip ? gunzipChunks(stream) : stream;
  yield* format.records === 'csv' ? readCsvRecords(bytes) : readJsonlRecords(bytes);
}

function contentType(format: ObjectFormat): string {
  if (format.gzip) return 'application/gzip';
  return format.records === 'csv' ? 'text/csv' : format.records === 'parquet' ? 'application/vnd.apache.parquet' : 'application/x-ndjson';
}

/** The file as it is, streamed (a multipart upload: one part in memory, not the file). */
async function upload(path: string, to: ObjectLocation, format: ObjectFormat, config: ReturnType<typeof loadConfig>): Promise<void> {
  const s3 = createS3Client(s3OptionsOf(config));
  try {
    const writer = new ObjectWriter(s3, to, contentType(format));
    for await (const chunk of createReadStream(path)) await writer.writeRaw(chunk as Buffer);
    await writer.close().catch((error: Error) => {
      throw new CommandError(`upload to s3://${to.bucket}/${to.key} failed: ${error.message}`);
    });
  } finally {
    s3.destroy();
  }
}

function report(file: string, uri: string, summary: DatasetSummary, refused: string | undefined, json: boolean | undefined): void {
  if (json) {
    printJson({ file, uri, uploaded: !refused, ...(refused ? { refused } : {}), ...summary });
    return;
  }
  console.log(`${refused ? 'refused' : 'uploaded'} ${file} -> ${uri}`);
  console.log(formatDatasetSummary(summary));
  if (refused) console.error(`dataset put: ${refused}`);
}
