import { probabilityColumn, RESULT_TABLE_COLUMNS, type ResultRecord } from '@datashunt/contracts';

/** What a run's results table holds beyond the fixed columns. */
export interface ResultTableSpec {
  labels: string[];
  probabilities: boolean;
  include: string[];
}

export type TableValue = string | number | boolean | null;

export interface TableColumn {
  name: string;
  type: 'STRING' | 'INT64' | 'DOUBLE' | 'BOOLEAN';
  value(result: ResultRecord): TableValue;
}

type Fixed = Omit<TableColumn, 'name'>;
const text = (pick: (r: ResultRecord) => string | null | undefined): Fixed => ({ type: 'STRING', value: (r) => pick(r) ?? null });
const float = (pick: (r: ResultRecord) => number | null | undefined): Fixed => ({ type: 'DOUBLE', value: (r) => pick(r) ?? null });
const integer = (pick: (r: ResultRecord) => number): Fixed => ({ type: 'INT64', value: pick });

const FIXED: Record<(typeof RESULT_TABLE_COLUMNS)[number], Fixed> = {
  // Ids may be numbers or strings in JSONL; a table column holds one type.
  id: text((r) => String(r.id)),
  line: integer((r) => r.line),
  label: text((r) => r.label),
  source: text((r) => r.source),
  c_s1: float((r) => r.c_s1),
  c_s2: float((r) => r.c_s2),
  c_l: float((r) => r.c_l),
  tokens_input: integer((r) => r.tokens.input),
  tokens_output: integer((r) => r.tokens.output),
  cost: float((r) => r.cost),
  modelVersion: text((r) => r.modelVersion),
  fallbackReason: text((r) => r.fallbackReason),
  error: text((r) => r.error),
  cached: { type: 'BOOLEAN', value: (r) => r.cached === true },
  gold: text((r) => r.gold),
};

/**
 * results.jsonl as a flat table (results.csv, results.parquet): the result fields (tokens split in
 * two), then one probability column per label, then the carried input columns, as text (JSON for
 * values that are not strings), so that every row of a column has one type.
 */
export function resultTableColumns(spec: ResultTableSpec): TableColumn[] {
  return [
    ...RESULT_TABLE_COLUMNS.map((name) => ({ name, ...FIXED[name] })),
    ...(spec.probabilities ? spec.labels.map((label): TableColumn => ({ name: probabilityColumn(label), type: 'DOUBLE', value: (r) => r.probabilities?.[label] ?? null })) : []),
    ...spec.include.map((name): TableColumn => ({ name, type: 'STRING', value: (r) => carried(r.columns?.[name]) })),
  ];
}

function carried(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
