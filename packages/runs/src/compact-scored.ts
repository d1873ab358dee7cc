import type { TopClass } from '@datashunt/algorithms';
import type { DatasetRow } from '@datashunt/contracts';
import type { CarriedColumns } from './records.js';

/**
 * What the scorer passes the router for one row: only what routing and the result record need. The
 * inputs of rows the router may send to the large model go to the shard's hard-rows object instead,
 * so the router never reads the input.
 */
export type CompactScoredRow =
  | { line: number; id: DatasetRow['id']; reject: string }
  | {
      line: number;
      id: DatasetRow['id'];
      gold?: string;
      /** The specific model (C_s1). */
      s1: TopClass;
      /** The learnable 2CD model (C_s2), when one scored. */
      s2?: TopClass;
      /** Every probability of the specific model: results may carry them (output.probabilities), and redistillation learns from them. */
      probs: number[];
      columns?: CarriedColumns;
    };

/** One shard's compact rows as stored between scorer and router. */
export function encodeScoredRows(rows: CompactScoredRow[]): Buffer {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row)}\n`;
  return Buffer.from(out);
}

export function decodeScoredRows(bytes: Buffer): CompactScoredRow[] {
  const rows: CompactScoredRow[] = [];
  let start = 0;
  for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
    rows.push(JSON.parse(bytes.toString('utf8', start, end)) as CompactScoredRow);
    start = end + 1;
  }
  return rows;
}
