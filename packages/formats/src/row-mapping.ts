import type { DatasetRow, Manifest, RejectRecord } from '@datashunt/contracts';

/** What a row mapping reads from a manifest: enough of it for `dataset put`, which has only a task and a field mapping. */
export interface MappedManifest {
  task: Pick<Manifest['task'], 'labels' | 'inputKind'>;
  input: Pick<Manifest['input'], 'fields'>;
  output: Pick<Manifest['output'], 'include'>;
}
import { imageToPixels, type ImageShape } from './image-pixels.js';
import { describePosition, type InputRecord, type RecordFormat, type RecordPosition } from './records.js';

const EXCERPT = 120;

type InputRole = 'text' | 'pixels' | 'image';

/** Which columns a run reads its rows from (input.fields, or the default names) and what it carries through. */
export interface RowMapping {
  id: string;
  input: string;
  inputRole: InputRole;
  label: string;
  /** Columns copied into results (output.include). */
  include: string[];
  labels: string[];
  /** The square size decoded images must have (image role only). */
  image?: ImageShape;
  /** How each role's column is named in a reject: the column, and the manifest entry when one mapped it. */
  names: Record<'id' | 'input' | 'label', string>;
}

export function rowMapping(manifest: MappedManifest, image?: ImageShape): RowMapping {
  const fields = manifest.input.fields ?? {};
  const inputRole: InputRole = fields.image !== undefined ? 'image' : fields.pixels !== undefined ? 'pixels' : manifest.task.inputKind === 'text' ? 'text' : 'pixels';
  const id = fields.id ?? 'id';
  const input = fields[inputRole] ?? 'input';
  const label = fields.label ?? 'label';
  const include = manifest.output.include ?? [];
  const named = (column: string, entry: string, mapped: boolean) => (mapped ? `${column} (input.fields.${entry})` : column);
  return {
    id,
    input,
    inputRole,
    label,
    include,
    labels: manifest.task.labels,
    ...(inputRole === 'image' && image ? { image } : {}),
    names: { id: named(id, 'id', fields.id !== undefined), input: named(input, inputRole, fields[inputRole] !== undefined), label: named(label, 'label', fields.label !== undefined) },
  };
}

/** The columns a reader must provide (Parquet reads only these). */
export function mappedColumns(mapping: RowMapping): string[] {
  return [...new Set([mapping.id, mapping.input, mapping.label, ...mapping.include])];
}

export type MappedRecord =
  | {
      row: DatasetRow;
      columns?: Record<string, unknown>;
    }
  | { problem: string; id?: DatasetRow['id'] };

/**
 * One record as a dataset row through the mapping: an id (a non-empty string or an integer), the
 * input the task takes (text; pixel values; or a PNG/JPEG image decoded to the model's pixels), and an
 * optional gold label in the label set. A record that falls short says why, naming the column.
 */
export function mapRecord(value: unknown, m: RowMapping): MappedRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: `(row): must be a JSON object, got ${describe(value)}` };
  const fields = value as Record<string, unknown>;
  const rawId = fields[m.id];
  if (isMissing(rawId)) return { problem: `${m.names.id}: missing` };
  const id = toId(rawId);
  if (id === undefined) return { problem: `${m.names.id}: must be a non-empty string or an integer, got ${describe(rawId)}` };
  const rawInput = fields[m.input];
  if (isMissing(rawInput)) return { problem: `${m.names.input}: missing`, id };
  const input = toInput(rawInput, m);
  if ('problem' in input) return { problem: input.problem, id };
  const rawLabel = fields[m.label];
  const label = isMissing(rawLabel) ? undefined : toLabel(rawLabel);
  if (label === null) return { problem: `${m.names.label}: must be a string, got ${describe(rawLabel)}`, id };
  if (label !== undefined && !m.labels.includes(label)) return { problem: `${m.names.label} is not one of the task's labels (${m.labels.join(', ')})`, id };
  const row: DatasetRow = label === undefined ? { id, input: input.value } : { id, input: input.value, label };
  return m.include.length ? { row, columns: carried(fields, m.include) } : { row };
}

function toInput(raw: unknown, m: RowMapping): { value: string | number[] } | { problem: string } {
  if (m.inputRole === 'text') {
    if (typeof raw === 'string') return { value: raw };
    if (raw instanceof Uint8Array) return { value: Buffer.from(raw).toString('utf8') };
    return { problem: `${m.names.input} must be a string for a text task` };
  }
  if (m.inputRole === 'image') {
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) return { problem: `${m.names.input}: must be PNG or JPEG bytes, or their base64, got ${describe(raw)}` };
    const decoded = imageToPixels(raw, m.image!);
    return decoded.ok ? { value: decoded.pixels } : { problem: `${m.names.input} ${decoded.problem}` };
  }
  const pixels = toPixels(raw);
  if (!pixels) return { problem: `${m.names.input} must be an array of pixel values for a image task` };
  if (!pixels.every((v) => typeof v === 'number' && Number.isFinite(v))) return { problem: `${m.names.input}: pixel values must be finite numbers` };
  return { value: pixels as number[] };
}

/** A JSON array, a Parquet list or typed array, or a CSV cell holding a JSON array. */
function toPixels(raw: unknown): unknown[] | undefined {
  if (Array.isArray(raw)) return raw.length ? raw : undefined;
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Array.from(raw as unknown as ArrayLike<number>, Number);
  if (typeof raw === 'string' && raw.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) && parsed.length ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function toId(raw: unknown): DatasetRow['id'] | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  // Parquet INT64: a number while it is exact, its digits beyond.
  if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : String(raw);
  return undefined;
}

/** A label as text (CSV and Parquet labels may be numbers or booleans); null when it cannot be one. */
function toLabel(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') return String(raw);
  return null;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** The carried columns as JSON values: bytes as base64, big integers as numbers while exact, dates as ISO text. */
function carried(fields: Record<string, unknown>, include: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of include) out[column] = jsonValue(fields[column]);
  return out;
}

function jsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A record refused while its shard was read: where it sits in the shard's range (numbers count from
 * the range's start) and why. Finalize places it in the whole input (placeReject) once the lines
 * before the range are known.
 */
export interface PendingReject {
  line: number;
  id?: DatasetRow['id'];
  problem: string;
  position: RecordPosition;
  /** The start of the offending line (or record, as JSON): only with REJECT_EXCERPTS on. */
  excerpt?: string;
}

export function pendingReject(record: InputRecord, problem: string, id: DatasetRow['id'] | undefined, excerpts: boolean): PendingReject {
  const pending: PendingReject = { line: record.number, ...(id === undefined ? {} : { id }), problem, position: record.line === undefined ? { number: record.number } : { number: record.number, line: record.line } };
  if (excerpts) {
    const excerpt = record.text ?? (record.value === undefined ? undefined : JSON.stringify(jsonValue(record.value)));
    if (excerpt !== undefined) pending.excerpt = excerpt.slice(0, EXCERPT);
  }
  return pending;
}

/** Where a shard's records sit in the whole input: lines before the shard, in the input and in its object. */
export interface ShardPlacement {
  linesBefore: number;
  objectLinesBefore: number;
  format: RecordFormat;
  /** The object's key, for an input of many objects: rejects then name it and the record's number in it. */
  object?: string;
}

/** A reject as the run reports it: its row number in the whole input, where it sits in its object, and why. */
export function placeReject(pending: PendingReject, at: ShardPlacement): RejectRecord {
  const objectLine = at.objectLinesBefore + pending.position.number;
  const where = describePosition(at.format, { ...pending.position, number: objectLine });
  const reject: RejectRecord = { line: at.linesBefore + pending.line, ...(pending.id === undefined ? {} : { id: pending.id }), reason: `${at.object ? `${at.object} ` : ''}${where}: ${pending.problem}` };
  if (pending.excerpt !== undefined) reject.excerpt = pending.excerpt;
  if (at.object) {
    reject.object = at.object;
    reject.objectLine = objectLine;
  }
  return reject;
}
