import { UnrecoverableError } from 'bullmq';
import type { Manifest } from '@datashunt/contracts';
import { RunProgress, RunStore, type ScoredRow, type ShardRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import type { PromotedScorers, Scorer, ScorerLease } from '@datashunt/small-models';

/** A large-only run without a registered small model is scored by no model: results name this version. */
export const NO_SMALL_MODEL = 'none';

/** What the route job reads back from its score child. */
export interface ScoreShardResult {
  specificVersion: string;
  learnableVersion: string | null;
  provider: string;
  scored: number;
  rejected: number;
}

/**
 * Scores a whole shard with the specific model (C_s1) and, when one is registered, the learnable
 * 2CD model (C_s2), in batched tensors. Rows the model cannot take are marked with a reason.
 */
export function scoreShardHandler(runtime: Runtime, scorers: PromotedScorers) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const progress = new RunProgress(runtime.redis, ownKeyPrefix(runtime.config.QUEUE_PREFIX));
  return defineHandler({
    name: 'score-shard',
    async handle({ runId, outputPrefix, shard }): Promise<ScoreShardResult> {
      const { manifest } = await runs.snapshot(outputPrefix, runId);
      // Leases hold one version per model for the whole shard, even if another is promoted meanwhile.
      const leases: ScorerLease[] = [];
      try {
        const specificLease = await scorers.acquire(manifest.smallModel.name, 'specific', manifest.smallModel.version);
        if (!specificLease) {
          if (manifest.strategy !== 'large-only') throw new UnrecoverableError(`no specific model "${manifest.smallModel.name}" is registered`);
          const result = await passUnscored(runs, { runId, outputPrefix, shard, manifest });
          await progress.shardScored(runId, shard, result.scored);
          return result;
        }
        leases.push(specificLease);
        const learnableLease = manifest.smallModel.useLearnable ? await scorers.acquire(manifest.smallModel.name, 'learnable') : undefined;
        if (learnableLease) leases.push(learnableLease);
        const result = await scoreShard(runs, { runId, outputPrefix, shard, manifest }, specificLease.scorer, learnableLease?.scorer);
        await progress.shardScored(runId, shard, result.scored + result.rejected);
        return result;
      } finally {
        await Promise.all(leases.map((l) => l.release()));
      }
    },
  });
}

async function scoreShard(
  runs: RunStore,
  { runId, outputPrefix, shard, manifest }: { runId: string; outputPrefix: string; shard: number; manifest: Manifest },
  specific: Scorer,
  learnable: Scorer | undefined,
): Promise<ScoreShardResult> {
  for (const model of [specific, learnable]) if (model) assertLabels(model, manifest);

  const rows: ShardRow[] = [];
  for await (const row of runs.readShard(outputPrefix, runId, shard)) rows.push(row);
  const scored: ScoredRow[] = [];
  const accepted: ShardRow[] = [];
  for (const row of rows) {
    const problem = inputProblem(specific, row.input);
    if (problem) scored.push({ line: row.line, id: row.id, reject: problem });
    else accepted.push(row);
  }
  const inputs = accepted.map((r) => r.input);
  const [p1, p2] = await Promise.all([specific.score(inputs), learnable ? learnable.score(inputs) : undefined]);
  accepted.forEach((row, i) =>
    scored.push({
      line: row.line,
      id: row.id,
      ...(row.label !== undefined ? { gold: row.label } : {}),
      p1: Array.from(p1[i]!),
      p2: p2 ? Array.from(p2[i]!) : null,
      // Carried here so the router can put them into results without reading the shard again.
      ...(row.columns ? { columns: row.columns } : {}),
    }),
  );
  scored.sort((a, b) => a.line - b.line);
  await runs.writeScored(outputPrefix, runId, shard, scored);
  return {
    specificVersion: specific.version,
    learnableVersion: learnable?.version ?? null,
    provider: specific.provider,
    scored: accepted.length,
    rejected: rows.length - accepted.length,
  };
}

/**
 * A large-only run with no small model (ingest allowed it): every row goes to the large model, so each
 * carries the uniform distribution, which says the small side knows nothing (C_s1 = 1/k; the
 * fallback label, should a call fail, is then the first label, flagged as a fallback).
 */
async function passUnscored(runs: RunStore, { runId, outputPrefix, shard, manifest }: { runId: string; outputPrefix: string; shard: number; manifest: Manifest }): Promise<ScoreShardResult> {
  const uniform = manifest.task.labels.map(() => 1 / manifest.task.labels.length);
  const scored: ScoredRow[] = [];
  for await (const row of runs.readShard(outputPrefix, runId, shard)) {
    scored.push({ line: row.line, id: row.id, ...(row.label !== undefined ? { gold: row.label } : {}), p1: uniform, p2: null, ...(row.columns ? { columns: row.columns } : {}) });
  }
  scored.sort((a, b) => a.line - b.line);
  await runs.writeScored(outputPrefix, runId, shard, scored);
  return { specificVersion: NO_SMALL_MODEL, learnableVersion: null, provider: 'none', scored: scored.length, rejected: 0 };
}

function assertLabels(model: Scorer, manifest: Manifest): void {
  const want = manifest.task.labels;
  const have = model.meta.labels;
  if (want.length !== have.length || want.some((label, i) => label !== have[i])) {
    throw new UnrecoverableError(
      `model ${model.meta.name}@${model.version} labels [${have.join(', ')}] do not match the task's labels [${want.join(', ')}] (same order required)`,
    );
  }
}

/** An image row must carry exactly the pixels the model's input shape holds. */
function inputProblem(model: Scorer, input: string | number[]): string | undefined {
  const featurizer = model.meta.featurizer;
  if (featurizer.kind !== 'pixels' || typeof input === 'string') return undefined;
  const want = featurizer.shape.reduce((a, b) => a * b, 1);
  return input.length === want ? undefined : `expected ${want} pixel values for model input shape [${featurizer.shape.join(', ')}], got ${input.length}`;
}
