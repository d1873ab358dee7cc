import { ReportSchema, type Report } from '@datashunt/contracts';
import type { RunSnapshot, RunStore } from '@datashunt/runs';
import { getJsonIfExists, listPrefixes } from '@datashunt/storage';

export interface FinishedRun {
  runId: string;
  snapshot: RunSnapshot;
  report: Report;
}

/** A run that was asked for or found, and why it does not take part. */
export interface RunRefusal {
  runId: string;
  reason: string;
}

/**
 * The finished runs under `prefix` (those with a report.json), newest first: the given ids, or every
 * run there. A requested run that has not finished is refused, not waited for.
 */
export async function findFinishedRuns(runs: RunStore, prefix: string, runIds?: readonly string[]): Promise<{ found: FinishedRun[]; refused: RunRefusal[] }> {
  const ids = runIds ?? (await listRunFolders(runs, prefix));
  const found: FinishedRun[] = [];
  const refused: RunRefusal[] = [];
  for (const runId of ids) {
    const raw = await getJsonIfExists(runs.s3, runs.ref(runs.keys(prefix, runId).report));
    if (raw === undefined) {
      // Only a run that was asked for is worth a refusal; unfinished ones found by listing are skipped.
      if (runIds) refused.push({ runId, reason: 'not finished (no report.json)' });
      continue;
    }
    found.push({ runId, report: ReportSchema.parse(raw), snapshot: await runs.snapshot(prefix, runId) });
  }
  found.sort((a, b) => b.report.finishedAt.localeCompare(a.report.finishedAt));
  return { found, refused };
}

/** Run folders one level under the prefix: a delimiter listing, not every shard file of every run. */
async function listRunFolders(runs: RunStore, prefix: string): Promise<string[]> {
  const root = prefix.replace(/\/*$/, '/');
  const ids: string[] = [];
  for await (const folder of listPrefixes(runs.s3, runs.bucket, root)) ids.push(folder.slice(root.length, -1));
  return ids;
}

/**
 * Why a finished run cannot teach this model, if it cannot: another model, other labels, or scored by
 * another specific version (its C_s1 and x1 targets would be another teacher's).
 */
export function refusalOf(run: FinishedRun, model: { name: string; specificVersion: string; labels: readonly string[] }): string | undefined {
  const { manifest } = run.snapshot;
  if (run.report.status === 'failed') return `the run failed (${run.report.failure})`;
  if (manifest.smallModel.name !== model.name) return `a run of model ${manifest.smallModel.name}`;
  const labels = manifest.task.labels;
  if (labels.length !== model.labels.length || labels.some((l, i) => l !== model.labels[i])) return `task labels [${labels.join(', ')}] differ from the model's`;
  if (run.report.modelVersions.specific !== model.specificVersion) {
    return `scored by specific version ${run.report.modelVersions.specific}, not the current ${model.specificVersion}`;
  }
  return undefined;
}

/**
 * Why `distill now` without named runs leaves a run of the model out: evaluation data must not become
 * training data. A run marked `purpose: "evaluation"` never teaches unless named; a run whose rows
 * carry gold labels (its report has an accuracy) is most likely a measurement, so it teaches only when
 * asked (`includeLabelled`).
 */
export function exclusionOf(run: FinishedRun, options: { includeLabelled: boolean }): string | undefined {
  if (run.snapshot.manifest.purpose === 'evaluation') return 'an evaluation run (manifest purpose "evaluation"); name it with --runs to learn from it';
  if (run.report.accuracy !== null && !options.includeLabelled) return 'its rows carry gold labels (likely evaluation data); pass --include-labelled or name it with --runs to learn from it';
  return undefined;
}
