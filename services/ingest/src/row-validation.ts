import type { DatasetRow, Manifest, RejectRecord } from '@datashunt/contracts';
import { describePosition, imageToPixels, type ImageShape, type InputRecord, type RecordFormat } from '@datashunt/formats';

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
  /** The default names, without carried columns: a valid JSONL line already is the stored row. */
  storesLinesAsIs: boolean;
}

export function rowMapping(manifest: Pick<Manifest, 'task' | 'input' | 'output'>, image?: ImageShape): RowMapping {
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
    storesLinesAsIs: id === 'id' && input === 'input' && label === 'label' && inputRole !== 'image' && include.length === 0,
  };
}

/** The columns a reader must provide (Parquet reads only these). */
export function mappedColumns(mapping: RowMapping): string[] {
  return [...new Set([mapping.id, mapping.input, mapping.label, ...mapping.include])];
}

export type MappedRecord =
  | {
      row: DatasetRow;
      /** The row holds the record's own values (nothing converted): a JSONL line can be kept as it came. */
      asIs: boolean;
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
  const asIs = id === rawId && input.value === rawInput && (rawLabel === undefined || label === rawLabel);
  return m.include.length ? { row, asIs, columns: carried(fields, m.include) } : { row, asIs };
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

export interface RejectContext {
  format: RecordFormat;
  /** The object's key, for an input of many objects: rejects then name it and the record's number in it. */
  object?: string;
  /** REJECT_EXCERPTS: copy the start of a rejected line (or record, as JSON) into its reject; off, rejects hold no contents. */
  excerpts: boolean;
}

/** A reject for a record: its row number in the whole input, where it sits in its object, and why. */
export function rejectFor(line: number, record: InputRecord, problem: string, id: DatasetRow['id'] | undefined, context: RejectContext): RejectRecord {
  const where = describePosition(context.format, record);
  const reject: RejectRecord = { line, ...(id === undefined ? {} : { id }), reason: `${context.object ? `${context.object} ` : ''}${where}: ${problem}` };
  if (context.excerpts) {
    const excerpt = record.text ?? (record.value === undefined ? undefined : JSON.stringify(jsonValue(record.value)));
    if (excerpt !== undefined) reject.excerpt = excerpt.slice(0, EXCERPT);
  }
  if (context.object) {
    reject.object = context.object;
    reject.objectLine = record.number;
  }
  return reject;
}
