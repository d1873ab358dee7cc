import { readFile } from 'node:fs/promises';
import { mulberry32, shuffled } from '@datashunt/algorithms';
import { checkInputUri, DatasetRowSchema, type DatasetRow, type ScopePolicy } from '@datashunt/contracts';
import { readLines } from '@datashunt/storage';
import type { Runtime } from '@datashunt/runtime';
import { CommandError } from './command-errors.js';

/** Unlabelled files give this many rows unless --rows says otherwise. */
export const DEFAULT_UNLABELLED_ROWS = 1_000;

export interface CalibrationSample {
  source: string;
  rows: DatasetRow[];
  labelled: boolean;
  /** The seed of the draw; null when every row of the file is used. */
  seed: number | null;
}

/**
 * The calibration rows: every row of a labelled file, or `rows` drawn (seeded) from it or from an
 * unlabelled one. A row that does not parse, or a label outside the task's, refuses the whole file
 * with its line number: a curve over a silently thinned sample would mislead.
 */
export async function loadCalibrationSample(args: {
  source: string;
  labels: readonly string[];
  rows?: number;
  seed: number;
  s3: Runtime['s3'];
  scopes: ScopePolicy;
}): Promise<CalibrationSample> {
  const { rows: all, labelled } = await readDatasetRows(args);
  const wanted = args.rows ?? (labelled ? all.length : DEFAULT_UNLABELLED_ROWS);
  if (wanted >= all.length) return { source: args.source, rows: all, labelled, seed: null };
  return { source: args.source, rows: drawSeeded(all, wanted, args.seed).picked, labelled, seed: args.seed };
}

/** Every row of a JSONL file on disk or in S3 (inside the operator's scopes), checked against the task's labels. */
export async function readDatasetRows(args: { source: string; labels: readonly string[]; s3: Runtime['s3']; scopes: ScopePolicy }): Promise<{ rows: DatasetRow[]; labelled: boolean }> {
  const all: DatasetRow[] = [];
  for await (const { line, text } of sourceLines(args)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CommandError(`${args.source} line ${line}: not valid JSON`);
    }
    const row = DatasetRowSchema.safeParse(json);
    if (!row.success) throw new CommandError(`${args.source} line ${line}: ${row.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ')}`);
    if (row.data.label !== undefined && !args.labels.includes(row.data.label)) {
      throw new CommandError(`${args.source} line ${line}: label "${row.data.label}" is not one of the task's labels`);
    }
    all.push(row.data);
  }
  if (all.length === 0) throw new CommandError(`${args.source} has no rows`);
  const labelledRows = all.filter((r) => r.label !== undefined).length;
  if (labelledRows !== 0 && labelledRows !== all.length) {
    throw new CommandError(`${args.source}: ${labelledRows} of ${all.length} rows have a label; give labels for all of them or none`);
  }
  return { rows: all, labelled: labelledRows > 0 };
}

/**
 * `n` rows drawn by index with `seed` and the rest, both kept in file order, so the same seed gives
 * the same draw (and the same cached large-model answers).
 */
export function drawSeeded<T>(rows: readonly T[], n: number, seed: number): { picked: T[]; rest: T[] } {
  const picked = new Set(shuffled(rows.map((_, i) => i), mulberry32(seed)).slice(0, n));
  return { picked: rows.filter((_, i) => picked.has(i)), rest: rows.filter((_, i) => !picked.has(i)) };
}

async function* sourceLines(args: { source: string; s3: Runtime['s3']; scopes: ScopePolicy }): AsyncGenerator<{ line: number; text: string }> {
  if (args.source.startsWith('s3://')) {
    const location = checkInputUri(args.source, args.scopes);
    if (!location.ok) throw new CommandError(location.message);
    yield* readLines(args.s3, location.value);
    return;
  }
  const lines = (await readFile(args.source, 'utf8')).split('\n');
  for (const [i, text] of lines.entries()) if (text.trim() !== '') yield { line: i + 1, text: text.replace(/\r$/, '') };
}
