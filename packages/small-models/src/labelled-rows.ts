import { TrainingDataError } from './errors.js';
import type { ModelInput } from './feeds.js';

/** A row of a labelled dataset file: `{id, input: string | number[], label}` per JSONL line. */
export interface LabelledRow {
  id: string;
  input: ModelInput;
  label: string;
}

/** Parses a labelled JSONL text; `source` (a path or URI) and the line number name a bad line. */
export function parseLabelledJsonl(text: string, source: string): LabelledRow[] {
  const rows: LabelledRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source} line ${i + 1}`;
    let value: { id?: unknown; input?: unknown; label?: unknown };
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new TrainingDataError(`${where}: not JSON (${(error as Error).message})`);
    }
    const { id, input, label } = value ?? {};
    if (typeof label !== 'string') throw new TrainingDataError(`${where}: "label" must be a string`);
    if (typeof input !== 'string' && !(Array.isArray(input) && input.every((v) => typeof v === 'number'))) {
      throw new TrainingDataError(`${where}: "input" must be a string or an array of numbers`);
    }
    rows.push({ id: id === undefined ? String(rows.length) : String(id), input, label });
  });
  return rows;
}

/** Labels in first-seen order: the label list of a dataset that does not state one. */
export function labelsOf(rows: readonly { label: string }[]): string[] {
  return [...new Set(rows.map((r) => r.label))];
}
