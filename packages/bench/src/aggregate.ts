/** Pure aggregation of a run's per-row results: no I/O, unit-tested. */

/** What the bench needs of one result row (a subset of contracts' ResultRecord). */
export interface ResultRow {
  id: string | number;
  label: string;
  source: 'small' | 'learnable' | 'large' | 'fallback';
  tokens: { input: number; output: number };
  gold?: string;
  cached?: boolean;
}

export interface PriceTable {
  /** Shown in the report, e.g. "gpt-4o-mini list price, 2025". */
  name: string;
  inputPer1M: number;
  outputPer1M: number;
}

export interface Cell {
  correct: number;
  total: number;
  /** null when total is 0. */
  accuracy: number | null;
}

export interface RunSummary {
  rows: number;
  accuracy: number | null;
  perClass: Record<string, Cell>;
  /** Per group (spam: easy-ham / hard-ham / spam; long-tailed: head / medium / tail). */
  perGroup: Record<string, Cell>;
  bySource: Record<ResultRow['source'], number>;
  /** Share of rows sent to the large model (answered or fallen back). */
  queryProportion: number;
  /** Per group: share of the group's rows sent to the large model. */
  queryProportionByGroup: Record<string, number>;
  /** Tokens of every large-model answer, cached or paid. */
  tokens: { input: number; output: number };
  /** tokens at the price table: what the run would cost without the response cache. */
  dollars: number;
}

export function cell(correct: number, total: number): Cell {
  return { correct, total, accuracy: total ? correct / total : null };
}

export function dollarsFor(tokens: { input: number; output: number }, price: PriceTable): number {
  return (tokens.input * price.inputPer1M + tokens.output * price.outputPer1M) / 1e6;
}

/**
 * Joins results with the benchmark's own rows (by id) for gold labels and groups, and sums them up.
 * `groupOf` names a row's group from its id and gold label (undefined: no group).
 */
export function summarizeRun(
  results: readonly ResultRow[],
  gold: ReadonlyMap<string, string>,
  labels: readonly string[],
  groupOf: (id: string, gold: string) => string | undefined,
  price: PriceTable,
): RunSummary {
  const perClass: Record<string, [number, number]> = Object.fromEntries(labels.map((l) => [l, [0, 0]]));
  const perGroup: Record<string, [number, number]> = {};
  const queriedByGroup: Record<string, number> = {};
  const bySource: RunSummary['bySource'] = { small: 0, learnable: 0, large: 0, fallback: 0 };
  const tokens = { input: 0, output: 0 };
  let correct = 0;
  let scored = 0;
  for (const r of results) {
    bySource[r.source]++;
    tokens.input += r.tokens.input;
    tokens.output += r.tokens.output;
    const g = gold.get(String(r.id)) ?? r.gold;
    if (g === undefined) continue;
    const ok = r.label === g ? 1 : 0;
    scored++;
    correct += ok;
    const c = (perClass[g] ??= [0, 0]);
    c[0] += ok;
    c[1]++;
    const group = groupOf(String(r.id), g);
    if (group !== undefined) {
      const gc = (perGroup[group] ??= [0, 0]);
      gc[0] += ok;
      gc[1]++;
      if (r.source === 'large' || r.source === 'fallback') queriedByGroup[group] = (queriedByGroup[group] ?? 0) + 1;
    }
  }
  const toCells = (m: Record<string, [number, number]>) => Object.fromEntries(Object.entries(m).map(([k, [c, t]]) => [k, cell(c, t)]));
  return {
    rows: results.length,
    accuracy: scored ? correct / scored : null,
    perClass: toCells(perClass),
    perGroup: toCells(perGroup),
    bySource,
    queryProportion: results.length ? (bySource.large + bySource.fallback) / results.length : 0,
    queryProportionByGroup: Object.fromEntries(Object.entries(perGroup).map(([k, [, t]]) => [k, (queriedByGroup[k] ?? 0) / t])),
    tokens,
    dollars: dollarsFor(tokens, price),
  };
}

/** A group function from label groups (long-tailed sets: head / medium / tail by class). */
export function groupsByLabel(labelGroups: Record<string, readonly string[]>): (id: string, gold: string) => string | undefined {
  const of = new Map<string, string>();
  for (const [group, labels] of Object.entries(labelGroups)) for (const l of labels) of.set(l, group);
  return (_id, gold) => of.get(gold);
}

/** A group function from a per-row group (spam: easy-ham / hard-ham / spam). */
export function groupsById(groups: ReadonlyMap<string, string>): (id: string, gold: string) => string | undefined {
  return (id) => groups.get(id);
}

export interface LowerBound {
  /** Seconds the specialist takes to score the rows it keeps (measured in-process). */
  easyScoringSeconds: number;
  /** Rows sent to the large model divided by its rate limit. */
  llmSeconds: number;
  /** max of the two: no run can finish sooner. */
  seconds: number;
  /** wall / bound (null when the bound is 0). */
  ratio: number | null;
}

/** The issue's bound: max(easy rows' scoring time, hard rows / (rpm / 60)); ratio = wall / bound. */
export function lowerBound(args: { easyScoringSeconds: number; hardRows: number; rateLimitRpm: number; wallSeconds: number }): LowerBound {
  const llmSeconds = args.hardRows / (args.rateLimitRpm / 60);
  const seconds = Math.max(args.easyScoringSeconds, llmSeconds);
  return { easyScoringSeconds: args.easyScoringSeconds, llmSeconds, seconds, ratio: seconds > 0 ? args.wallSeconds / seconds : null };
}

export interface DeltaChoice {
  delta: number;
  /** Simulated on validation: the small model keeps rows with confidence >= delta, the large model answers the rest. */
  accuracy: number;
  queryProportion: number;
  /** The whole simulated curve, for the report. */
  curve: Array<{ delta: number; accuracy: number; queryProportion: number }>;
}

/**
 * Chooses delta on validation (paper Sec. 4.7: "select delta on the validation dataset"): with the small
 * model's confidence and label per row and the large model's label per row (from a large-only run over
 * the validation split), the delta whose simulated DS+ accuracy is highest; among equals (within
 * `tolerance`), the one sending fewest rows to the large model.
 */
export function chooseDelta(
  rows: ReadonlyArray<{ confidence: number; smallLabel: string; largeLabel: string; gold: string }>,
  grid: readonly number[],
  tolerance = 0,
): DeltaChoice {
  if (rows.length === 0) throw new Error('chooseDelta needs validation rows');
  const curve = [...grid]
    .sort((a, b) => a - b)
    .map((delta) => {
      let correct = 0;
      let queried = 0;
      for (const r of rows) {
        const keep = r.confidence >= delta;
        if (!keep) queried++;
        if ((keep ? r.smallLabel : r.largeLabel) === r.gold) correct++;
      }
      return { delta, accuracy: correct / rows.length, queryProportion: queried / rows.length };
    });
  const best = Math.max(...curve.map((p) => p.accuracy));
  const chosen = curve.filter((p) => p.accuracy >= best - tolerance).sort((a, b) => a.queryProportion - b.queryProportion || b.accuracy - a.accuracy)[0]!;
  return { ...chosen, curve };
}
