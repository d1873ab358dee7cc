import type { DeltaSource, Report, ResultRecord, ResultSource, RunManifest } from '@datashunt/contracts';
import { AccuracyTally, type AccuracyCounts } from './metrics.js';
import { decideRunStatus, type RunOutcomeFacts } from './run-status.js';

const SOURCES: ResultSource[] = ['small', 'learnable', 'large', 'fallback'];

/** Fallbacks that still asked the large model (over_budget rows never reached it). */
function askedLargeModel(r: ResultRecord): boolean {
  return r.source === 'large' || (r.source === 'fallback' && r.fallbackReason !== 'over_budget');
}

/** A tally as plain JSON: what a shard's router hands to finalize, so results need no second parse. */
export interface TallyState {
  results: number;
  rejects: number;
  bySource: Record<ResultSource, number>;
  fallbackReasons: Record<string, number>;
  asked: number;
  paid: number;
  cached: number;
  tokens: { input: number; output: number };
  cost: number;
  /** Results answered through the batch interface, their tokens and cost (absent in states written before batch mode). */
  batch?: { rows: number; tokens: { input: number; output: number }; cost: number };
  accuracy: { overall: AccuracyCounts; perClass: AccuracyCounts; perSource: AccuracyCounts };
  versions: { specific: string[]; learnable: string[] };
}

/**
 * Accumulates a run's report one result at a time (or one shard's state at a time), so finalize can
 * take a million results in constant memory.
 */
export class RunReportTally {
  private results = 0;
  private rejects = 0;
  private readonly bySource = Object.fromEntries(SOURCES.map((s) => [s, 0])) as Record<ResultSource, number>;
  private readonly fallbackReasons: Record<string, number> = {};
  private asked = 0;
  private paid = 0;
  private cached = 0;
  private readonly tokens = { input: 0, output: 0 };
  private cost = 0;
  private readonly batch = { rows: 0, tokens: { input: 0, output: 0 }, cost: 0 };
  private readonly overall = new AccuracyTally();
  private readonly perClass = new AccuracyTally();
  private readonly perSource = new AccuracyTally();
  private readonly versions = { specific: new Set<string>(), learnable: new Set<string>() };

  addResult(r: ResultRecord): void {
    this.results += 1;
    this.bySource[r.source] += 1;
    if (r.fallbackReason) this.fallbackReasons[r.fallbackReason] = (this.fallbackReasons[r.fallbackReason] ?? 0) + 1;
    if (askedLargeModel(r)) {
      this.asked += 1;
      if (r.cached) this.cached += 1;
      else if (r.tokens.input + r.tokens.output > 0) this.paid += 1;
    }
    this.tokens.input += r.tokens.input;
    this.tokens.output += r.tokens.output;
    this.cost += r.cost;
    if (r.batch) this.addBatch({ rows: 1, tokens: r.tokens, cost: r.cost });
    (r.source === 'learnable' ? this.versions.learnable : this.versions.specific).add(r.modelVersion);
    if (r.gold !== undefined) {
      const correct = r.gold === r.label;
      this.overall.add('all', correct);
      this.perClass.add(r.gold, correct);
      this.perSource.add(r.source, correct);
    }
  }

  private addBatch(b: NonNullable<TallyState['batch']>): void {
    this.batch.rows += b.rows;
    this.batch.tokens.input += b.tokens.input;
    this.batch.tokens.output += b.tokens.output;
    this.batch.cost += b.cost;
  }

  addRejects(count = 1): void {
    this.rejects += count;
  }

  state(): TallyState {
    return {
      results: this.results,
      rejects: this.rejects,
      bySource: { ...this.bySource },
      fallbackReasons: { ...this.fallbackReasons },
      asked: this.asked,
      paid: this.paid,
      cached: this.cached,
      tokens: { ...this.tokens },
      cost: this.cost,
      batch: { rows: this.batch.rows, tokens: { ...this.batch.tokens }, cost: this.batch.cost },
      accuracy: { overall: this.overall.counts(), perClass: this.perClass.counts(), perSource: this.perSource.counts() },
      versions: { specific: [...this.versions.specific], learnable: [...this.versions.learnable] },
    };
  }

  merge(s: TallyState): void {
    this.results += s.results;
    this.rejects += s.rejects;
    for (const source of SOURCES) this.bySource[source] += s.bySource[source] ?? 0;
    for (const [reason, n] of Object.entries(s.fallbackReasons)) this.fallbackReasons[reason] = (this.fallbackReasons[reason] ?? 0) + n;
    this.asked += s.asked;
    this.paid += s.paid;
    this.cached += s.cached;
    this.tokens.input += s.tokens.input;
    this.tokens.output += s.tokens.output;
    this.cost += s.cost;
    if (s.batch) this.addBatch(s.batch);
    this.overall.merge(s.accuracy.overall);
    this.perClass.merge(s.accuracy.perClass);
    this.perSource.merge(s.accuracy.perSource);
    s.versions.specific.forEach((v) => this.versions.specific.add(v));
    s.versions.learnable.forEach((v) => this.versions.learnable.add(v));
  }

  /** The batch rows, their cost, and the dollars saved against the same tokens sent synchronously; null without batch rows. */
  private batchSavings(manifest: RunManifest): Report['batch'] {
    if (this.batch.rows === 0) return null;
    const sync = syncCostUsd(this.batch.tokens, manifest.largeModel.pricing);
    return { rows: this.batch.rows, tokens: { ...this.batch.tokens }, costUsd: round(this.batch.cost, 6), syncCostUsd: round(sync, 6), savedUsd: round(sync - this.batch.cost, 6) };
  }

  build(args: {
    runId: string;
    manifestKey: string;
    manifest: RunManifest;
    /** Where manifest.delta came from; absent: the manifest gave the number. */
    deltaSource?: DeltaSource;
    createdAt: string;
    finishedAt: Date;
    /** What went wrong beyond single rows; absent: nothing did. */
    outcome?: Partial<Pick<RunOutcomeFacts, 'failedShards' | 'unfinishedRows' | 'breaker' | 'cancelled'>>;
    /** The budget meter's count of requests sent for the run. */
    requests?: Report['requests'];
  }): Report {
    const { manifest } = args;
    const graded = this.overall.cell('all').total > 0;
    const unfinishedRows = args.outcome?.unfinishedRows ?? 0;
    const decided = decideRunStatus({
      rows: this.results + this.rejects + unfinishedRows,
      results: this.results,
      rejects: this.rejects,
      fallbackReasons: this.fallbackReasons,
      failedShards: args.outcome?.failedShards ?? [],
      unfinishedRows,
      breaker: args.outcome?.breaker ?? null,
      cancelled: args.outcome?.cancelled ?? null,
      maxRejectShare: manifest.maxRejectShare ?? null,
    });
    return {
      runId: args.runId,
      ...decided,
      manifestKey: args.manifestKey,
      createdAt: args.createdAt,
      finishedAt: args.finishedAt.toISOString(),
      delta: manifest.delta,
      deltaSource: args.deltaSource ?? { kind: 'manifest' },
      promptMode: manifest.promptMode,
      largeModel: manifest.largeModel.model,
      modelVersions: {
        specific: [...this.versions.specific].sort().join(',') || 'none',
        learnable: [...this.versions.learnable].sort().join(',') || null,
      },
      rows: this.results + this.rejects + unfinishedRows,
      results: this.results,
      rejects: this.rejects,
      unfinishedRows,
      bySource: { ...this.bySource },
      fallbackReasons: { ...this.fallbackReasons },
      queryProportion: this.results ? this.asked / this.results : 0,
      largeModelCalls: { paid: this.paid, cached: this.cached },
      requests: args.requests ?? null,
      tokens: { ...this.tokens },
      costUsd: round(this.cost, 6),
      batch: this.batchSavings(manifest),
      budgetUsd: manifest.budgetUsd,
      accuracy: graded
        ? {
            overall: this.overall.cell('all'),
            perClass: this.perClass.toRecord(manifest.task.labels),
            bySource: this.perSource.toRecord(SOURCES.filter((s) => this.bySource[s] > 0)),
          }
        : null,
      wallSeconds: round((args.finishedAt.getTime() - Date.parse(args.createdAt)) / 1000, 3),
    };
  }
}

/** What the batch rows' tokens would have cost as synchronous calls, at the manifest's prices. */
function syncCostUsd(tokens: { input: number; output: number }, pricing: RunManifest['largeModel']['pricing']): number {
  return (tokens.input * pricing.inputPer1M + tokens.output * pricing.outputPer1M) / 1e6;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
