import { Counter, Histogram, type Registry } from 'prom-client';
import { ResultSourceSchema, type LlmCallObservation } from '@datashunt/contracts';

/** The few classes a reject's free-text reason is counted under, so the label's cardinality stays fixed. */
export const REJECT_CLASSES = ['invalid_json', 'schema', 'label', 'input_kind', 'blank', 'other'] as const;
export type RejectClass = (typeof REJECT_CLASSES)[number];

/**
 * Where ingest's reasons say a rejected row sits: "line N: " (JSONL), "record N (starts on line L): "
 * (CSV) or "row N: " (Parquet), after the object's key for an input of many objects.
 */
const AT = String.raw`(?:^|\s)(?:line|record|row) \d+(?: \(starts on line \d+\))?: `;

/** First match wins; whatever else ingest rejects at a position is a schema issue (a missing or mistyped field). */
const REJECT_PATTERNS: Array<[RejectClass, RegExp]> = [
  ['blank', new RegExp(`${AT}blank line`)],
  ['invalid_json', new RegExp(`${AT}not valid JSON`)],
  // Before input_kind: the label list a label reject quotes may hold any word.
  ['label', new RegExp(`${AT}.*is not one of the task's labels`)],
  ['input_kind', new RegExp(`${AT}.*(?:must be a string for a|must be an array of pixel values|PNG or JPEG| image)|pixel values`)],
  ['schema', new RegExp(AT)],
];

export function rejectClass(reason: string): RejectClass {
  return REJECT_PATTERNS.find(([, pattern]) => pattern.test(reason))?.[0] ?? 'other';
}

/**
 * What an operator alerts on about runs: rows by source, rejects by class, large-model calls, latency,
 * tokens and dollars by model, rate-limit waits and budget use. Labels hold models and fixed classes, never rows or runs.
 */
export class RunMetrics {
  private readonly rows: Counter<'source'>;
  private readonly rejects: Counter<'reason_class'>;
  private readonly llmCalls: Counter<'model' | 'outcome'>;
  private readonly llmLatency: Histogram<'model'>;
  private readonly llmTokens: Counter<'model' | 'direction'>;
  private readonly llmCost: Counter<'model'>;
  private readonly rateWait: Histogram<'limit'>;
  private readonly budgetUse: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rows = new Counter({ name: 'datashunt_rows_total', help: 'Result rows written by the router, by source', labelNames: ['source'], registers });
    this.rejects = new Counter({ name: 'datashunt_rejects_total', help: 'Rejected rows, by reason class', labelNames: ['reason_class'], registers });
    this.llmCalls = new Counter({ name: 'datashunt_llm_calls_total', help: 'Large-model completions, by model and outcome', labelNames: ['model', 'outcome'], registers });
    this.llmLatency = new Histogram({
      name: 'datashunt_llm_latency_seconds',
      help: 'Time of each large-model request sent (answered or failed)',
      labelNames: ['model'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.llmTokens = new Counter({ name: 'datashunt_llm_tokens_total', help: 'Large-model tokens paid for, by model and direction (input, output)', labelNames: ['model', 'direction'], registers });
    this.llmCost = new Counter({ name: 'datashunt_llm_cost_usd_total', help: 'Large-model dollars paid, by model', labelNames: ['model'], registers });
    this.rateWait = new Histogram({
      name: 'datashunt_rate_limit_wait_seconds',
      help: 'Time an llm-call waited for a rate-limit slot, by limit (run, endpoint, endpoint_tokens)',
      labelNames: ['limit'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    // A histogram rather than a gauge per run_id: series stay bounded however many runs finish.
    this.budgetUse = new Histogram({
      name: 'datashunt_run_budget_used_ratio',
      help: "Share of its budgetUsd each finished run spent",
      buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1],
      registers,
    });
    // Every source and class exported from the start, at zero: share and rate queries need no absent-series handling.
    for (const source of ResultSourceSchema.options) this.rows.inc({ source }, 0);
    for (const reasonClass of REJECT_CLASSES) this.rejects.inc({ reason_class: reasonClass }, 0);
  }

  /** A shard's part as the router wrote it. */
  countPart(part: { results: Array<{ source: string }>; rejects: Array<{ reason: string }> }): void {
    for (const result of part.results) this.rows.inc({ source: result.source });
    this.countRejects(part.rejects.map((r) => r.reason));
  }

  countRejects(reasons: string[]): void {
    for (const reason of reasons) this.rejects.inc({ reason_class: rejectClass(reason) });
  }

  observeLlmCall({ model, outcome, latencySeconds, tokens, costUsd }: LlmCallObservation): void {
    this.llmCalls.inc({ model, outcome });
    if (latencySeconds !== undefined) this.llmLatency.observe({ model }, latencySeconds);
    if (tokens) {
      this.llmTokens.inc({ model, direction: 'input' }, tokens.input);
      this.llmTokens.inc({ model, direction: 'output' }, tokens.output);
    }
    if (costUsd) this.llmCost.inc({ model }, costUsd);
  }

  observeRateWait(limit: 'run' | 'endpoint' | 'endpoint_tokens', waitMs: number): void {
    this.rateWait.observe({ limit }, waitMs / 1000);
  }

  observeBudgetUse(spentUsd: number, budgetUsd: number): void {
    if (budgetUsd > 0) this.budgetUse.observe(spentUsd / budgetUsd);
  }
}
