import { checkObjectKey, runKeys, type CalibrationRecord } from '@datashunt/contracts';
import { BudgetMeter } from '@datashunt/llm';
import { findRunWithProgress, ModelCalibrations, RunCatalog, RunProgress, type RunEntry, type RunProgressState } from '@datashunt/runs';
import { ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import type { RunDownload } from './run-page.js';
import { byNewest, runView, type RunView } from './run-view.js';

/** Runs whose live counters exist but whose folder S3 does not show yet (ingest has not snapshotted them): looked at this far back. */
const RECENT_RUNS = 50;

/**
 * What the runs pages read: run folders from S3 (the source of truth), and for a run without a
 * report its live counters and spend from Redis. Reads only; nothing here changes a run.
 */
export class RunsSource {
  private readonly catalog: RunCatalog;
  private readonly progress: RunProgress;
  private readonly budget: BudgetMeter;
  private readonly calibrations: ModelCalibrations;

  constructor(private readonly runtime: Runtime) {
    const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
    this.catalog = new RunCatalog(runtime.s3, runtime.bucket, this.outputPrefixes());
    this.progress = new RunProgress(runtime.redis, prefix);
    this.budget = new BudgetMeter(runtime.redis, prefix);
    this.calibrations = new ModelCalibrations(runtime.s3, runtime.bucket);
  }

  outputPrefixes(): string[] {
    return this.runtime.config.scopes.outputPrefixes;
  }

  async list(now = Date.now()): Promise<RunView[]> {
    const entries: RunEntry[] = [];
    for await (const entry of this.catalog.list()) entries.push(entry);
    const listed = new Set(entries.map((e) => e.runId));
    const unlisted = (await this.progress.recent(RECENT_RUNS)).filter((r) => !listed.has(r.runId));
    const views = await Promise.all([
      ...entries.map((entry) => this.view(entry.runId, entry, now)),
      ...unlisted.map((r) => this.view(r.runId, undefined, now)),
    ]);
    return views.filter((v): v is RunView => v !== undefined).sort(byNewest);
  }

  /** A run and, when its delta came from a calibration, that record; undefined for a run nobody knows. */
  async run(runId: string, now = Date.now()): Promise<{ view: RunView; calibration: CalibrationRecord | undefined } | undefined> {
    const { state, entry } = await findRunWithProgress(this.catalog, this.progress, runId);
    const view = await this.view(runId, entry, now, state);
    if (!view) return undefined;
    const source = view.deltaSource;
    const calibration = source?.kind === 'calibration' && view.smallModel ? await this.calibrations.read(view.smallModel, source.modelVersion) : undefined;
    return { view, calibration };
  }

  /** The S3 key of one of a finished run's outputs, checked to lie inside the run's folder under an output prefix. */
  async outputKey(runId: string, file: RunDownload): Promise<string | undefined> {
    const { entry } = await findRunWithProgress(this.catalog, this.progress, runId);
    if (!entry?.report) return undefined;
    const keys = runKeys(entry.outputPrefix, runId);
    const key = { 'results.jsonl': keys.results, 'rejects.jsonl': keys.rejects, 'report.json': keys.report }[file];
    const inside = checkObjectKey(key).ok && this.outputPrefixes().some((p) => key.startsWith(p)) && key.startsWith(keys.root);
    return inside ? key : undefined;
  }

  private async view(runId: string, entry: RunEntry | undefined, now: number, known?: RunProgressState | null): Promise<RunView | undefined> {
    // A finished run's numbers are all in its report; only a running one needs Redis.
    const progress = entry?.report ? null : known !== undefined ? known : await this.progress.read(runId);
    if (!entry && !progress) return undefined;
    const spend = entry?.report ? null : await this.budget.usage(runId);
    return runView({ runId, entry, progress, spend }, now);
  }
}
