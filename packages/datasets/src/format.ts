import { SPLIT_NAMES, type DatasetMeta } from './types.js';

/** A plain-text table of rows per dataset and split, with per-label and per-group counts. */
export function formatCountsTable(metas: readonly DatasetMeta[]): string {
  const rows = [['dataset', 'split', 'rows', 'per label', 'per group']];
  for (const meta of metas) {
    for (const split of SPLIT_NAMES) {
      const s = meta.splits[split];
      const pairs = (counts: Record<string, number> | undefined) => Object.entries(counts ?? {}).map(([k, n]) => `${k}=${n}`).join(' ');
      rows.push([meta.name, split, String(s.total), pairs(s.byLabel), pairs(s.byGroup)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}
