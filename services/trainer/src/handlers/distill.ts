import { RunStore } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import { exportDistillationSet, ModelRegistry } from '@datashunt/small-models';
import { collectDistillSet } from '../collect-distill-set.js';
import type { SkipReason } from '../distill-set.js';
import type { RunRefusal } from '../finished-runs.js';
import { isTrainableHere, trainLearnable, type TrainedLearnable, type TrainLearnableOptions } from '../train-learnable.js';

export interface DistillOptions extends TrainLearnableOptions {
  /** Where finished runs are looked for (the manifests' output prefix). */
  runsPrefix: string;
  /** Cap on x1 + x3; x3 is kept first. 200k rows of text fit comfortably in a trainer pod's memory. */
  maxRows: number;
}

export const DEFAULT_DISTILL_OPTIONS: DistillOptions = {
  runsPrefix: 'runs/',
  maxRows: 200_000,
  validationFraction: 0.1,
  maxX3Repeat: 4,
  hyper: {},
};

interface SetSummary {
  modelName: string;
  specificVersion: string;
  /** Runs the set was read from, newest first. */
  runs: string[];
  refusedRuns: RunRefusal[];
  x1: number;
  x3: number;
  skipped: Record<SkipReason, number>;
}

/** What a distill job returns; expected outcomes are statuses, not errors. */
export type DistillSummary =
  | { status: 'no-model'; modelName: string }
  | ({ status: 'nothing-to-learn' } & SetSummary)
  | ({ status: 'trained' } & SetSummary & TrainedLearnable)
  | ({ status: 'exported'; exportKey: string } & SetSummary);

/**
 * 2CD for one model (Algorithm 1): builds x1 and x3 from the model's finished runs, then trains and
 * promotes the learnable model F_s2 when its family trains here, or exports the set for an external
 * trainer otherwise. Without x3 there is no new knowledge, and nothing is registered.
 */
export function distillHandler(runtime: Runtime, options: DistillOptions = DEFAULT_DISTILL_OPTIONS) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const registry = new ModelRegistry(runtime.s3, runtime.bucket);
  return defineHandler({
    name: 'distill',
    async handle({ modelName, runIds }): Promise<DistillSummary> {
      const log = runtime.logger.child({ modelName });
      const specificVersion = await registry.current(modelName, 'specific');
      if (!specificVersion) {
        log.warn('no specific model is registered under this name; nothing to distill');
        return { status: 'no-model', modelName };
      }
      const specific = await registry.getMeta(modelName, specificVersion);
      const collected = await collectDistillSet(runs, {
        prefix: options.runsPrefix,
        ...(runIds ? { runIds } : {}),
        model: { name: modelName, specificVersion, labels: specific.labels },
        maxRows: options.maxRows,
      });
      const { set } = collected;
      const summary: SetSummary = {
        modelName,
        specificVersion,
        runs: collected.runs,
        refusedRuns: collected.refusedRuns,
        x1: set.x1.length,
        x3: set.x3.length,
        skipped: set.skipped,
      };
      log.info({ runs: summary.runs.length, refusedRuns: summary.refusedRuns, x1: summary.x1, x3: summary.x3, skipped: summary.skipped }, 'distillation set built');
      if (set.x3.length === 0) {
        log.info('x3 is empty: the large model taught nothing new, no learnable version registered');
        return { status: 'nothing-to-learn', ...summary };
      }
      const family = specific.family;
      if (!isTrainableHere(family)) {
        const { key } = await exportDistillationSet(runtime.s3, runtime.bucket, {
          modelName,
          labels: specific.labels,
          rows: [...set.x1, ...set.x3].map((r) => ({ id: String(r.id), input: r.input, target: r.target, source: r.set === 'x1' ? 'specific' : 'large' })),
        });
        log.info({ exportKey: key, family }, 'distillation set exported for an external trainer');
        return { status: 'exported', exportKey: key, ...summary };
      }
      const trained = await trainLearnable(registry, { ...specific, family }, set, options);
      log.info({ version: trained.version, validation: trained.validation, x3Repeat: trained.x3Repeat }, 'learnable model trained and promoted');
      return { status: 'trained', ...summary, ...trained };
    },
  });
}
