import { RunStore } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import { exportDistillationSet, ModelRegistry } from '@datashunt/small-models';
import { collectDistillSet } from '../collect-distill-set.js';
import type { HoldOut, SkipReason } from '../distill-set.js';
import type { RunRefusal } from '../finished-runs.js';
import { x3Confidence, type X3Confidence } from '../x3-confidence.js';
import { isTrainableHere, scoreCurrentLearnable, trainLearnable, type TrainedLearnable, type TrainLearnableOptions } from '../train-learnable.js';

export interface DistillOptions extends TrainLearnableOptions {
  /** Where finished runs are looked for (the manifests' output prefix). */
  runsPrefix: string;
  /** Cap on x1 + x3; x3 is kept first. 200k rows of text fit comfortably in a trainer pod's memory. */
  maxRows: number;
  /** The seeded share of the large model's answers kept out of training for the promotion gate (and the C_l temperature). */
  holdout: HoldOut;
}

export const DEFAULT_DISTILL_OPTIONS: DistillOptions = {
  runsPrefix: 'runs/',
  maxRows: 200_000,
  holdout: { fraction: 0.2, seed: 1 },
  validationFraction: 0.1,
  maxX3Repeat: 4,
  hyper: {},
};

interface SetSummary {
  modelName: string;
  specificVersion: string;
  /** Runs the set was read from, newest first. */
  runs: string[];
  /** Runs of the model not used, and why: evaluation runs, labelled runs, other teachers, failures. */
  refusedRuns: RunRefusal[];
  x1: number;
  x3: number;
  /** Large-model answers held out of training: the promotion gate's rows. */
  heldOut: number;
  skipped: Record<SkipReason, number>;
  x3Confidence: X3Confidence;
}

/** What a distill job returns; expected outcomes are statuses, not errors. */
export type DistillSummary =
  | { status: 'no-model'; modelName: string }
  | ({ status: 'nothing-to-learn' } & SetSummary)
  | ({ status: 'trained' } & SetSummary & TrainedLearnable)
  | ({ status: 'exported'; exportKey: string } & SetSummary);

/**
 * 2CD for one model (Algorithm 1): builds x1 and x3 from the model's finished runs (a seeded share of
 * the large model's answers held out), then trains the learnable model F_s2 when its family trains
 * here and promotes it only if the promotion gate finds DS+ no worse with it on the held-out rows, or
 * exports the set for an external trainer otherwise. Without x3 there is no new knowledge, and nothing
 * is registered.
 */
export function distillHandler(runtime: Runtime, options: DistillOptions = DEFAULT_DISTILL_OPTIONS) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const registry = new ModelRegistry(runtime.s3, runtime.bucket);
  return defineHandler({
    name: 'distill',
    async handle({ modelName, runIds, includeLabelled }): Promise<DistillSummary> {
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
        ...(includeLabelled ? { includeLabelled } : {}),
        model: { name: modelName, specificVersion, labels: specific.labels },
        maxRows: options.maxRows,
        holdout: options.holdout,
      });
      const { set, confidence } = x3Confidence(collected.builder, specific.labels.length);
      const summary: SetSummary = {
        modelName,
        specificVersion,
        runs: collected.runs,
        refusedRuns: collected.refusedRuns,
        x1: set.x1.length,
        x3: set.x3.length,
        heldOut: set.heldOut.length,
        skipped: set.skipped,
        x3Confidence: confidence,
      };
      log.info({ runs: summary.runs.length, refusedRuns: summary.refusedRuns, x1: summary.x1, x3: summary.x3, heldOut: summary.heldOut, skipped: summary.skipped, x3Confidence: confidence }, 'distillation set built');
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
      const current = await scoreCurrentLearnable(registry, specific, set.heldOut.map((r) => r.input));
      const trained = await trainLearnable(registry, { ...specific, family }, set, options, current);
      log.info({ version: trained.version, validation: trained.validation, x3Repeat: trained.x3Repeat, promotion: trained.promotion }, trained.promotion.promoted ? 'learnable model trained and promoted' : 'learnable model trained and kept as a candidate');
      return { status: 'trained', ...summary, ...trained };
    },
  });
}
