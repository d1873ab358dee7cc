import type { ModelMeta } from '@datashunt/contracts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * What the delta chosen at training time means: it never saw the large model, so it is no DS+ delta
 * (on a task where the large model is weaker it would send most rows to the weaker model).
 */
export function smallAloneSummary(meta: ModelMeta): string {
  const coverage = meta.validation?.coverageAtDelta;
  const accuracy = meta.validation?.accuracyAtDelta;
  const kept = coverage === undefined || accuracy === undefined || meta.calibratedDelta === null
    ? 'no delta measured on validation'
    : `keeps ${pct(coverage)} of rows at ${pct(accuracy)} accuracy (delta ${meta.calibratedDelta})`;
  return `small model alone: ${kept}; run \`datashunt calibrate\` to choose delta with the large model`;
}
