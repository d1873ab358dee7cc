import type { RunStore } from '@datashunt/runs';
import type { ModelInput } from '@datashunt/small-models';
import { classifyRow, DistillSetBuilder, type HoldOut } from './distill-set.js';
import { exclusionOf, findFinishedRuns, refusalOf, type RunRefusal } from './finished-runs.js';
import { runEvidence } from './run-evidence.js';

export interface CollectArgs {
  /** Where runs live (a manifest's output prefix). */
  prefix: string;
  /** Only these runs; every finished run of the model otherwise. */
  runIds?: readonly string[];
  /** Without runIds: also use runs whose rows carry gold labels. */
  includeLabelled?: boolean;
  model: { name: string; specificVersion: string; labels: readonly string[] };
  maxRows: number;
  holdout: HoldOut;
}

export interface CollectedSet {
  builder: DistillSetBuilder<ModelInput>;
  /** Runs that contributed, newest first. */
  runs: string[];
  /** Runs of the model that were not used, and why (another teacher, evaluation data, labelled rows...). */
  refusedRuns: RunRefusal[];
}

/**
 * Reads the finished runs of a model and classifies every row with the delta of its manifest; x3 is
 * selected from the builder once the large model's confidence is calibrated.
 */
export async function collectDistillSet(runs: RunStore, args: CollectArgs): Promise<CollectedSet> {
  const { found, refused } = await findFinishedRuns(runs, args.prefix, args.runIds);
  const builder = new DistillSetBuilder<ModelInput>(args.maxRows, args.model.labels.length, args.holdout);
  const used: string[] = [];
  for (const run of found) {
    const ownModel = run.snapshot.manifest.smallModel.name === args.model.name;
    // Runs of other models are only worth naming when someone asked for them.
    const reason = refusalOf(run, args.model) ?? (args.runIds ? undefined : exclusionOf(run, { includeLabelled: args.includeLabelled ?? false }));
    if (reason) {
      if (args.runIds || ownModel) refused.push({ runId: run.runId, reason });
      continue;
    }
    const { delta } = run.snapshot.manifest;
    const labels = args.model.labels;
    for await (const evidence of runEvidence(runs, args.prefix, run.runId)) {
      const gold = evidence.row.label === undefined ? -1 : labels.indexOf(evidence.row.label);
      builder.add(evidence.row, classifyRow(evidence, delta, labels), { delta, p1: evidence.p1, ...(gold >= 0 ? { gold } : {}) });
    }
    used.push(run.runId);
  }
  return { builder, runs: used, refusedRuns: refused };
}
