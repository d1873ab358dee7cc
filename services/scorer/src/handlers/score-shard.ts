import { UnrecoverableError } from 'bullmq';
import { topClass } from '@datashunt/algorithms';
import type { InputRange, Manifest, RunManifest } from '@datashunt/contracts';
import { pendingReject, placeReject, type PendingReject } from '@datashunt/formats';
import { largeCandidate, RunProgress, RunStore, type CompactScoredRow, type HardRow, type ShardRow } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import type { PromotedScorers, Scorer, ScorerLease } from '@datashunt/small-models';

/** A large-only run without a registered small model is scored by no model: results name this version. */
export const NO_SMALL_MODEL = 'none';

/** What the route job reads back from its score child. */
export interface ScoreShardResult {
  specificVersion: string;
  learnableVersion: string | null;
  provider: string;
  /** Lines (records) in the shard's range: finalize numbers the next shard's rows after them. */
  lines: number;
  scored: number;
  rejected: number;
}

interface ShardContext {
  runId: string;
  outputPrefix: string;
  shard: number;
  manifest: RunManifest;
  guarantee: boolean;
}

/**
 * Reads a shard's range straight from the input and checks every record (a refused one becomes a
 * pending reject, placed in the whole input by finalize), then scores the rows with the specific
 * model (C_s1) and, when one is registered, the learnable 2CD model (C_s2), in batched tensors. It
 * writes what the router needs: compact scores per row, and the inputs of the rows the router may send
 * to the large model, so no stage reads the input again.
 */
export function scoreShardHandler(runtime: Runtime, scorers: PromotedScorers) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const progress = new RunProgress(runtime.redis, ownKeyPrefix(runtime.config.QUEUE_PREFIX));
  const excerpts = runtime.config.REJECT_EXCERPTS;
  return defineHandler({
    name: 'score-shard',
    async handle({ runId, outputPrefix, shard, range }): Promise<ScoreShardResult> {
      const snapshot = await runs.snapshot(outputPrefix, runId);
      const { manifest } = snapshot;
      const context: ShardContext = { runId, outputPrefix, shard, manifest, guarantee: snapshot.guarantee !== undefined };
      // Leases hold one version per model for the whole shard, even if another is promoted meanwhile.
      const leases: ScorerLease[] = [];
      try {
        const specificLease = await scorers.acquire(manifest.smallModel.name, 'specific', manifest.smallModel.version);
        if (!specificLease && manifest.strategy !== 'large-only') throw new UnrecoverableError(`no specific model "${manifest.smallModel.name}" is registered`);
        if (specificLease) leases.push(specificLease);
        const learnableLease = specificLease && manifest.smallModel.useLearnable ? await scorers.acquire(manifest.smallModel.name, 'learnable') : undefined;
        if (learnableLease) leases.push(learnableLease);
        for (const model of [specificLease?.scorer, learnableLease?.scorer]) if (model) assertLabels(model, manifest);

        const { rows, rejects, lines } = await readShard(runs, context, range, excerpts);
        await runs.writeShardRejects(outputPrefix, runId, shard, rejects);
        // Classed by their reasons as finalize will word them (a position, then the problem).
        const { format } = (await runs.plannedInputs(outputPrefix, runId)).objects[range.object]!;
        runtime.metrics.run.countRejects(rejects.map((r) => placeReject(r, { linesBefore: 0, objectLinesBefore: 0, format: format.records }).reason));
        const scored = specificLease ? await scoreRows(rows, specificLease.scorer, learnableLease?.scorer) : uniform(rows, manifest);
        const result = await writeScores(runs, context, rows, scored, {
          specificVersion: specificLease?.scorer.version ?? NO_SMALL_MODEL,
          learnableVersion: learnableLease?.scorer.version ?? null,
          provider: specificLease?.scorer.provider ?? 'none',
          lines,
        });
        await progress.shardScored(runId, shard, { read: rows.length, rejected: rejects.length, scored: rows.length });
        return result;
      } finally {
        await Promise.all(leases.map((l) => l.release()));
      }
    },
  });
}

async function readShard(runs: RunStore, c: ShardContext, range: InputRange, excerpts: boolean): Promise<{ rows: ShardRow[]; rejects: PendingReject[]; lines: number }> {
  const rows: ShardRow[] = [];
  const rejects: PendingReject[] = [];
  let lines = 0;
  for await (const record of runs.readShardRows(c.outputPrefix, c.runId, range)) {
    if ('row' in record) {
      rows.push(record.row);
      lines = record.row.line;
    } else {
      rejects.push(pendingReject(record.record, record.problem, record.id, excerpts));
      lines = record.record.number;
    }
  }
  return { rows, rejects, lines };
}

/** Probabilities per row, or why the model cannot take the row. */
type Scores = Array<{ p1: number[]; p2: number[] | null } | { reject: string }>;

async function scoreRows(rows: ShardRow[], specific: Scorer, learnable: Scorer | undefined): Promise<Scores> {
  const problems = rows.map((row) => inputProblem(specific, row.input));
  const inputs = rows.filter((_, i) => !problems[i]).map((r) => r.input);
  const [p1, p2] = await Promise.all([specific.score(inputs), learnable ? learnable.score(inputs) : undefined]);
  let next = 0;
  return problems.map((problem) => {
    if (problem) return { reject: problem };
    const i = next++;
    return { p1: Array.from(p1[i]!), p2: p2 ? Array.from(p2[i]!) : null };
  });
}

/**
 * A large-only run with no small model (ingest allowed it): every row goes to the large model, so each
 * carries the uniform distribution, which says the small side knows nothing (C_s1 = 1/k; the
 * fallback label, should a call fail, is then the first label, flagged as a fallback).
 */
function uniform(rows: ShardRow[], manifest: Manifest): Scores {
  const p1 = manifest.task.labels.map(() => 1 / manifest.task.labels.length);
  return rows.map(() => ({ p1, p2: null }));
}

/** The compact scores for the router, and the inputs of the rows it may send to the large model. */
async function writeScores(runs: RunStore, c: ShardContext, rows: ShardRow[], scores: Scores, result: Omit<ScoreShardResult, 'scored' | 'rejected'>): Promise<ScoreShardResult> {
  const compact: CompactScoredRow[] = [];
  const hard: HardRow[] = [];
  let rejected = 0;
  rows.forEach((row, i) => {
    const score = scores[i]!;
    if ('reject' in score) {
      compact.push({ line: row.line, id: row.id, reject: score.reject });
      rejected += 1;
      return;
    }
    const scored: CompactScoredRow = { line: row.line, id: row.id, s1: topClass(score.p1), probs: score.p1 };
    if (score.p2) scored.s2 = topClass(score.p2);
    if (row.label !== undefined) scored.gold = row.label;
    // Carried here so the router can put them into results without reading the input.
    if (row.columns) scored.columns = row.columns;
    compact.push(scored);
    const candidate = largeCandidate(c.manifest, scored, c.guarantee);
    if (candidate) hard.push({ line: row.line, input: row.input, probs: score.p1, fallbackLabel: c.manifest.task.labels[candidate.fallbackIndex]! });
  });
  // Hard rows first: a route job that finds the scores finds the inputs its llm-calls read.
  await runs.writeHardRows(c.outputPrefix, c.runId, c.shard, hard);
  await runs.writeScored(c.outputPrefix, c.runId, c.shard, compact);
  return { ...result, scored: rows.length - rejected, rejected };
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
