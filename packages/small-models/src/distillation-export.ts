import type { S3Client } from '@aws-sdk/client-s3';
import { distillKeys } from '@datashunt/contracts';
import { JsonlWriter } from '@datashunt/storage';
import { TrainingDataError } from './errors.js';
import type { ModelInput } from './feeds.js';

/** A 2CD row for an external trainer: the input and its soft target (a probability per label). */
export interface DistillationRow {
  id: string;
  input: ModelInput;
  target: ArrayLike<number>;
  /** Where the target came from, e.g. 'large' (x3, Eq. 7) or 'specific' (x1, Eq. 8). */
  source?: string;
}

/**
 * Writes the distillation set of a model that cannot be trained in-process ('external' family) to
 * distillKeys(name).exportSet(stamp), one JSON line per row: {id, input, target: {label: p}, source}.
 * The external trainer's ONNX comes back through ModelRegistry.register as a 'learnable' version.
 * A bad row stops the export before the object is completed, so no partial set appears.
 */
export async function exportDistillationSet(
  s3: S3Client,
  bucket: string,
  args: { modelName: string; labels: readonly string[]; rows: Iterable<DistillationRow> | AsyncIterable<DistillationRow>; stamp?: string },
): Promise<{ key: string; count: number }> {
  const key = distillKeys(args.modelName).exportSet(args.stamp ?? new Date().toISOString().replace(/[-:.]/g, ''));
  const writer = new JsonlWriter(s3, { bucket, key });
  for await (const row of args.rows) {
    if (row.target.length !== args.labels.length) {
      throw new TrainingDataError(`distillation row ${row.id}: target has ${row.target.length} probabilities for ${args.labels.length} labels`);
    }
    const target: Record<string, number> = {};
    args.labels.forEach((label, k) => {
      const p = row.target[k]!;
      if (!Number.isFinite(p) || p < 0 || p > 1) throw new TrainingDataError(`distillation row ${row.id}: target for "${label}" is ${p}`);
      target[label] = p;
    });
    await writer.write({ id: row.id, input: row.input, target, ...(row.source ? { source: row.source } : {}) });
  }
  await writer.close();
  return { key, count: writer.count };
}
