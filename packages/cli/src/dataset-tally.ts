import { classCountWarnings } from '@datashunt/algorithms';
import { mapRecord, type RowMapping } from '@datashunt/ingest';
import { describePosition, type InputRecord, type RecordFormat } from '@datashunt/formats';

/** How many positions a reject reason lists: enough to find the rows, not a list of every one. */
const SHOWN_POSITIONS = 5;

export interface RejectGroup {
  reason: string;
  count: number;
  /** The first few positions with this reason ("line 7", "row 12"). */
  first: string[];
}

export interface DatasetSummary {
  /** Records read: every line (JSONL), record (CSV) or row (Parquet). */
  rows: number;
  valid: number;
  rejected: number;
  rejects: RejectGroup[];
  /** Valid rows per label of the set, in the set's order (0 for a label no row has). */
  classes: Record<string, number>;
  /** Valid rows without a gold label. */
  unlabelled: number;
  warnings: string[];
}

/**
 * Counts a dataset's records as ingest would see them: each is read by the format's reader and mapped
 * by ingest's own mapRecord, and ends as one valid row (counted under its label) or one reject
 * grouped by its reason.
 */
export class DatasetTally {
  private rows = 0;
  private valid = 0;
  private unlabelled = 0;
  private readonly classes = new Map<string, number>();
  private readonly rejects = new Map<string, RejectGroup>();

  constructor(
    private readonly mapping: RowMapping,
    private readonly format: RecordFormat,
  ) {
    for (const label of mapping.labels) this.classes.set(label, 0);
  }

  add(record: InputRecord): void {
    this.rows += 1;
    const problem = record.problem ?? this.mapped(record.value);
    if (problem !== undefined) this.reject(problem, describePosition(this.format, record));
  }

  /** The rest of the data cannot be read (a gzip cut short, a Parquet page that does not decode). */
  unreadable(problem: string): void {
    this.reject(`the rest of the file cannot be read: ${problem}`, `after ${this.rows} records`);
  }

  summary(minPerClass: number): DatasetSummary {
    const rejected = [...this.rejects.values()].reduce((sum, g) => sum + g.count, 0);
    const classes = Object.fromEntries(this.classes);
    return { rows: this.rows, valid: this.valid, rejected, rejects: [...this.rejects.values()], classes, unlabelled: this.unlabelled, warnings: classCountWarnings(classes, minPerClass) };
  }

  private mapped(value: unknown): string | undefined {
    const mapped = mapRecord(value, this.mapping);
    if ('problem' in mapped) return mapped.problem;
    this.valid += 1;
    const label = mapped.row.label;
    if (label === undefined) this.unlabelled += 1;
    else this.classes.set(label, (this.classes.get(label) ?? 0) + 1);
    return undefined;
  }

  private reject(reason: string, position: string): void {
    const group = this.rejects.get(reason) ?? { reason, count: 0, first: [] };
    group.count += 1;
    if (group.first.length < SHOWN_POSITIONS) group.first.push(position);
    this.rejects.set(reason, group);
  }
}

/** The share of records rejected (0 for an empty file). */
export function rejectShare(summary: DatasetSummary): number {
  return summary.rows === 0 ? 0 : summary.rejected / summary.rows;
}

/** The summary as a person reads it. */
export function formatDatasetSummary(summary: DatasetSummary): string {
  const lines = [`rows: ${summary.rows} (valid ${summary.valid}, rejected ${summary.rejected})`];
  if (summary.rejects.length) {
    lines.push('rejects:');
    for (const group of summary.rejects) {
      const more = group.count > group.first.length ? ', ...' : '';
      lines.push(`  ${group.count}  ${group.reason}  (${group.first.join(', ')}${more})`);
    }
  }
  lines.push('classes:');
  for (const [label, count] of Object.entries(summary.classes)) lines.push(`  ${label}: ${count}`);
  if (summary.unlabelled) lines.push(`  (no label): ${summary.unlabelled}`);
  for (const warning of summary.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
