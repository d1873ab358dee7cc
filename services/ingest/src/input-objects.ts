import { checkInputUri, type InputLocation, type Manifest, type ScopePolicy } from '@datashunt/contracts';
import {
  FORMAT_SNIFF_BYTES,
  FormatError,
  gunzipChunks,
  readCsvHeader,
  readParquetLayout,
  resolveObjectFormat,
  type RowMapping,
} from '@datashunt/formats';
import { sampledBytesPerLine, type InputObject } from '@datashunt/runs';
import type { Runtime } from '@datashunt/runtime';
import { getFirstBytes, getStream, headObject, listObjects, objectByteRanges } from '@datashunt/storage';
import type { ManifestIssue } from './manifest-validation.js';

type S3Client = Runtime['s3'];

/** At most this many objects under one input prefix: each is looked at before the run starts. */
export const MAX_INPUT_OBJECTS = 10_000;
/** Objects looked at (first bytes, CSV header or Parquet footer) at a time. */
const PROBES_AT_ONCE = 8;
/** Enough to say what is wrong without an error.json of ten thousand lines. */
const MAX_ISSUES = 20;

export type InputPlan = { ok: true; objects: InputObject[] } | { ok: false; message: string; issues: ManifestIssue[] };

/**
 * The objects a run reads, before any shard: the input object, or every object under the input
 * prefix in key order (folder markers and Hadoop-style hidden files, "_SUCCESS", ".crc", skipped),
 * each checked like a single input (object-scope), its format resolved from the manifest, its name
 * and its first bytes, and, for CSV and Parquet, the mapped and carried columns found in its header
 * or schema. Anything wrong refuses the run, naming the object.
 */
export async function planInputObjects(s3: S3Client, location: InputLocation, manifest: Manifest, mapping: RowMapping, scopes: ScopePolicy): Promise<InputPlan> {
  const shown = `s3://${location.bucket}/${location.key}`;
  const listed = location.isPrefix ? await listPrefix(s3, location, scopes) : await headOne(s3, location);
  if (!listed.ok) return refuse(shown, listed.issues);
  if (!listed.objects.length) return refuse(shown, [{ path: 'input.uri', message: `no objects under ${shown}` }]);
  const issues: ManifestIssue[] = [];
  const objects = await mapAtMost(PROBES_AT_ONCE, listed.objects, async (object) => {
    if (issues.length >= MAX_ISSUES) return undefined;
    const probed = await probe(s3, object, manifest, mapping);
    if ('issues' in probed) issues.push(...probed.issues.map((i) => (location.isPrefix ? { ...i, message: `s3://${object.bucket}/${object.key}: ${i.message}` } : i)));
    return 'format' in probed ? probed : undefined;
  });
  if (issues.length) return refuse(shown, issues.slice(0, MAX_ISSUES));
  return { ok: true, objects: objects as InputObject[] };
}

async function textBytes(s3: S3Client, object: InputObject): Promise<AsyncIterable<Uint8Array>> {
  const stream = await getStream(s3, object);
  return object.format.gzip ? gunzipChunks(stream) : stream;
}

type Listed = { ok: true; objects: Array<Omit<InputObject, 'format'>> } | { ok: false; issues: ManifestIssue[] };

async function headOne(s3: S3Client, location: InputLocation): Promise<Listed> {
  const head = await headObject(s3, location);
  if (!head) return { ok: false, issues: [{ path: 'input.uri', message: 'object not found' }] };
  return { ok: true, objects: [{ bucket: location.bucket, key: location.key, ...head }] };
}

async function listPrefix(s3: S3Client, location: InputLocation, scopes: ScopePolicy): Promise<Listed> {
  const objects: Array<Omit<InputObject, 'format'>> = [];
  const issues: ManifestIssue[] = [];
  for await (const item of listObjects(s3, location.bucket, location.key)) {
    const name = item.key.slice(item.key.lastIndexOf('/') + 1);
    if (name === '' || name.startsWith('_') || name.startsWith('.')) continue;
    const checked = checkInputUri(`s3://${location.bucket}/${item.key}`, scopes, 'input object');
    if (!checked.ok) issues.push({ path: 'input.uri', message: checked.message });
    else objects.push({ bucket: location.bucket, key: item.key, etag: item.etag, size: item.size });
    if (objects.length > MAX_INPUT_OBJECTS) {
      return { ok: false, issues: [{ path: 'input.uri', message: `more than ${MAX_INPUT_OBJECTS} objects under s3://${location.bucket}/${location.key}; point input.uri at a narrower prefix` }] };
    }
    if (issues.length >= MAX_ISSUES) break;
  }
  if (issues.length) return { ok: false, issues };
  // S3 lists in UTF-8 byte order; sorted again so that any listing gives the same row numbers.
  objects.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  return { ok: true, objects };
}

async function probe(s3: S3Client, object: Omit<InputObject, 'format'>, manifest: Manifest, mapping: RowMapping): Promise<InputObject | { issues: ManifestIssue[] }> {
  const declared = manifest.input.format;
  const firstBytes = object.size ? await getFirstBytes(s3, object, FORMAT_SNIFF_BYTES) : Buffer.alloc(0);
  const resolved = resolveObjectFormat(object.key, declared, firstBytes);
  if (!resolved.ok) return { issues: [{ path: resolved.contradictsDeclared ? 'input.format' : 'input.uri', message: resolved.problem }] };
  const planned: InputObject = { ...object, format: resolved.format };
  if (object.size === 0) return planned;
  if (resolved.format.records === 'jsonl') {
    const bytesPerLine = resolved.format.gzip ? undefined : sampledBytesPerLine(firstBytes);
    return bytesPerLine === undefined ? planned : { ...planned, bytesPerLine };
  }
  let columns: string[];
  let rowGroups: number[] | undefined;
  try {
    if (resolved.format.records === 'csv') columns = (await readCsvHeader(await textBytes(s3, planned))) ?? [];
    else {
      const layout = await readParquetLayout(objectByteRanges(s3, object, object.size));
      columns = layout.columns;
      rowGroups = layout.metadata.row_groups.map((g) => Number(g.num_rows));
    }
  } catch (error) {
    if (error instanceof FormatError) return { issues: [{ path: 'input.uri', message: error.message }] };
    throw error;
  }
  const issues = columnIssues(columns, resolved.format.records, manifest, mapping);
  if (issues.length) return { issues };
  return rowGroups ? { ...planned, rowGroups } : planned;
}

/** The mapped and carried columns a CSV header or Parquet schema must hold (once), said before any row is read. */
export function columnIssues(columns: string[], records: 'csv' | 'parquet', manifest: Manifest, mapping: RowMapping): ManifestIssue[] {
  // An empty CSV has no header, and no rows to read either.
  if (!columns.length) return [];
  const where = records === 'csv' ? 'the CSV header' : 'the Parquet schema';
  const listing = `(columns: ${columns.slice(0, 30).join(', ')}${columns.length > 30 ? ', ...' : ''})`;
  const fields = manifest.input.fields ?? {};
  const issues: ManifestIssue[] = [];
  const need = (column: string, path: string, hint: string) => {
    const count = columns.filter((c) => c === column).length;
    if (count === 0) issues.push({ path, message: `column "${column}" is not in ${where} ${listing}${hint}` });
    if (count > 1) issues.push({ path, message: `column "${column}" appears ${count} times in ${where}` });
  };
  const roles = [['id', mapping.id], [mapping.inputRole, mapping.input]] as const;
  for (const [role, column] of roles) {
    const mapped = fields[role] !== undefined;
    need(column, mapped ? `input.fields.${role}` : 'input.fields', mapped ? '' : `; name the ${role === 'id' ? 'id' : 'input'} column with input.fields.${role}`);
  }
  // An unmapped label column is optional: without one, rows have no gold label.
  if (fields.label !== undefined || columns.includes(mapping.label)) need(mapping.label, 'input.fields.label', '');
  for (const column of mapping.include) need(column, 'output.include', '');
  return issues;
}

function refuse(shown: string, issues: ManifestIssue[]): InputPlan {
  return { ok: false, message: `input ${shown}: ${issues.map((i) => i.message).join('; ')}`, issues };
}

/** Maps items with at most `limit` calls in flight, keeping their order. */
async function mapAtMost<T, R>(limit: number, items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
