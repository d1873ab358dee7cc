import type { RunStore } from '@datashunt/runs';
import type { ModelInput } from '@datashunt/small-models';
import { DistillSetBuilder, selectForDistillation, type DistillSet } from './distill-set.js';
import { findFinishedRuns, refusalOf, type RunRefusal } from './finished-runs.js';
import { runEvidence } from './run-evidence.js';

export interface CollectArgs {
  /** Where runs live (a manifest's output prefix). */
  prefix: string;
  /** Only these runs; every finished run of the model otherwise. */
  runIds?: readonly string[];
  model: { name: string; specificVersion: string; labels: readonly string[] };
  maxRows: number;
}

export interface CollectedSet {
  set: DistillSet<ModelInput>;
  /** Runs that contributed, newest first. */
  runs: string[];
  refusedRuns: RunRefusal[];
}

/** Reads the finished runs of a model and selects x1 and x3 from each, with the delta of its manifest. */
export async function collectDistillSet(runs: RunStore, args: CollectArgs): Promise<CollectedSet> {
  const { found, refused } = await findFinishedRuns(runs, args.prefix, args.runIds);
  const builder = new DistillSetBuilder<ModelInput>(args.maxRows);
  const used: string[] = [];
  for (const run of found) {
    const reason = refusalOf(run, args.model);
    if (reason) {
      // Runs of other models are only worth naming when someone asked for them.
      if (args.runIds || run.snapshot.manifest.smallModel.name === args.model.name) refused.push({ runId: run.runId, reason });
      continue;
    }
    const { delta } = run.snapshot.manifest;
    for await (const evidence of runEvidence(runs, args.prefix, run.runId)) {
      builder.add(evidence.row, selectForDistillation(evidence, delta, args.model.labels));
    }
    used.push(run.runId);
  }
  return { set: builder.build(), runs: used, refusedRuns: refused };
}
