import { ReportSchema, ResultRecordSchema, runKeys, type ManifestInput, type Report, type ResultRecord } from '@datashunt/contracts';
import type { Config, Runtime, RunWatcher } from '@datashunt/runtime';
import { getJson, putJson, readAllJsonl } from '@datashunt/storage';
import { CommandError } from './command-errors.js';

/** What a command needs to run manifests through the pipeline and wait for them. */
export interface PipelineDeps {
  config: Config;
  runtime: Runtime;
  /** Subscribed before the manifests are dropped. */
  watcher: RunWatcher;
  /** Drops a manifest where ingest finds it; default: write it under MANIFEST_PREFIX for the sweep. */
  dropManifest?: (key: string, manifest: ManifestInput) => Promise<void>;
  runTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface FinishedPipelineRun {
  report: Report;
  results: ResultRecord[];
}

/**
 * Drops the manifest (named by its `name`), waits for its run and reads its report and results. A
 * refused manifest or a failed run is a CommandError naming `what` the run was for.
 */
export async function runThroughPipeline(deps: PipelineDeps, manifest: ManifestInput & { name: string }, what: string): Promise<FinishedPipelineRun> {
  const { s3, bucket } = deps.runtime;
  const key = `${deps.config.MANIFEST_PREFIX}${manifest.name}.json`;
  await (deps.dropManifest ?? ((k, body) => putJson(s3, { bucket, key: k }, body)))(key, manifest);
  const outcome = await deps.watcher.wait(key, deps.runTimeoutMs ?? 60 * 60_000);
  if (outcome.status === 'invalid') throw new CommandError(`the ${what} run was refused: ${outcome.message} (see s3://${bucket}/${outcome.errorKey})`);
  const report = ReportSchema.parse(await getJson(s3, { bucket, key: outcome.reportKey }));
  if (report.status === 'failed') throw new CommandError(`the ${what} run ${report.runId} failed: ${report.failure}`);
  const prefix = manifest.output?.prefix ?? 'runs/';
  const results = (await readAllJsonl(s3, { bucket, key: runKeys(prefix, report.runId).results })).map((r) => ResultRecordSchema.parse(r));
  return { report, results };
}
