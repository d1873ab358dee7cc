import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { confidentTop, guaranteeRound, type GuaranteeTarget, type ScoredRow as WalkRow } from '@datashunt/algorithms';
import { attemptParts, inGroupsOf, jobId, llmCallResultsOf, type GuaranteeSpec, type JobPayload, type LlmCallResult } from '@datashunt/contracts';
import type { GuaranteeOutcome, RunSnapshot, RunStore } from '@datashunt/runs';
import { failedCallRows, isLlmCallKey, rowKey, type CatalogJob, type Runtime } from '@datashunt/runtime';

/**
 * A guarantee run's sampling phase, run by manifest-ingest between scoring and routing. Each call is
 * one round: it replays the BARGAIN walk over the run's scored rows with the large answers its
 * llm-call children bought so far (their return values), and either adds the next batch as llm-call
 * children or, when the walk is done, stores the threshold and adds the route jobs. Row text stays in
 * S3: the scorer wrote every row of such a run among its shard's hard rows, read by llm-call.
 */

interface ScoredVersions {
  specificVersion: string;
  learnableVersion: string | null;
  lines: number;
}

/** What one sampling round did: asked for more answers, chose the threshold, or found shards unscored. */
export type SamplingStep =
  | { kind: 'asked'; round: number; rows: number }
  | { kind: 'routed'; outcome: GuaranteeOutcome }
  | { kind: 'unscored'; failedShards: Array<{ shard: number; reason: string }> };

interface RunRow {
  shard: number;
  line: number;
  id: JobPayload<'llm-call'>['rows'][number]['rowId'];
}

/** A sampling call holds rows of one shard and is named by its first: a row is sampled at most once per run attempt. */
export function sampleCallJobId(runId: string, attempt: number, shard: number, firstLine: number): string {
  return jobId('llm-call', ...attemptParts(runId, attempt), 'sample', shard, firstLine);
}

/** The seed of the walk's sampling order: fixed by the run, so every replay walks the same order. */
export function walkSeed(runId: string): number {
  return createHash('sha256').update(runId).digest().readUInt32BE(0);
}

function guaranteeTarget(spec: GuaranteeSpec): GuaranteeTarget {
  return spec.metric === 'agreement' ? { kind: 'agreement', T: spec.T } : { kind: spec.metric, T: spec.T, label: spec.label! };
}

/** The last dot-separated part of a child's key: a shard (score, route jobs). */
function lastPart(key: string): number {
  return Number(key.split('.').pop());
}

/** The shard of a sampling call's rows: its key ends in the shard and the first line. */
function shardOfCall(key: string): number {
  return Number(key.split('.').slice(-2)[0]);
}

export async function samplingRound(
  runtime: Runtime,
  runs: RunStore,
  job: Job,
  run: { snapshot: RunSnapshot; spec: GuaranteeSpec; shards: number; attempt: number },
): Promise<SamplingStep> {
  const { snapshot, spec, shards, attempt } = run;
  const { runId, manifest } = snapshot;
  const outputPrefix = manifest.output.prefix;
  const values = await job.getChildrenValues<unknown>();
  const failures = await job.getIgnoredChildrenFailures();

  const unscored = Object.entries(failures).filter(([key]) => key.includes(':score-shard.'));
  if (unscored.length) {
    // The walk ranks every row of the run: without all of them there is no guarantee, so no shard is routed.
    const why = unscored.map(([key, reason]) => `shard ${lastPart(key)}: ${reason}`).join('; ');
    return { kind: 'unscored', failedShards: Array.from({ length: shards }, (_, shard) => ({ shard, reason: `the guarantee needs every shard scored (${why})` })) };
  }
  const versions = new Map<number, ScoredVersions>();
  const failed = await failedCallRows(runtime.queues.queue('llm'), failures);
  const answers = new Map<string, LlmCallResult>(failed.answers.map(({ shard, result }) => [rowKey(shard, result.line), result]));
  for (const [key, value] of Object.entries(values)) {
    if (key.includes(':score-shard.')) versions.set(lastPart(key), value as ScoredVersions);
    if (isLlmCallKey(key)) for (const answer of llmCallResultsOf(value)) answers.set(rowKey(shardOfCall(key), answer.line), answer);
  }

  const rows: RunRow[] = [];
  const walkRows: WalkRow[] = [];
  const labels = manifest.task.labels;
  for (let shard = 0; shard < shards; shard++) {
    for (const row of await runs.readScored(outputPrefix, runId, shard)) {
      if ('reject' in row) continue;
      const best = confidentTop(row.s1, row.s2);
      rows.push({ shard, line: row.line, id: row.id });
      walkRows.push({ confidence: best.confidence, smallLabel: labels[best.index]! });
    }
  }
  const known = new Map<number, string>();
  const unanswerable = new Set<number>();
  rows.forEach((row, i) => {
    const key = rowKey(row.shard, row.line);
    const answer = answers.get(key);
    if (answer?.source === 'large') known.set(i, answer.label);
    else if (answer || failed.reasons.has(key)) unanswerable.add(i);
  });

  const step = await guaranteeRound({ rows: walkRows, target: guaranteeTarget(spec), alpha: spec.alpha, seed: walkSeed(runId), known, unanswerable });
  if (step.kind === 'ask') {
    await askRound(runtime, job, { runId, outputPrefix, attempt, round: step.round, rows: step.rows.map((i) => rows[i]!) });
    return { kind: 'asked', round: step.round, rows: step.rows.length };
  }

  const { choice } = step;
  const sampled = [...choice.largeAnswers.keys()].map((i) => ({ shard: rows[i]!.shard, line: rows[i]!.line })).sort((a, b) => a.shard - b.shard || a.line - b.line);
  const firstVersions = versions.get(0) ?? [...versions.values()][0];
  const outcome: GuaranteeOutcome = {
    source: {
      kind: 'guarantee',
      target: spec,
      method: 'bargain',
      threshold: choice.threshold,
      rowsSampled: sampled.length,
      rowsAsked: known.size + unanswerable.size,
      population: rows.length,
      reason: choice.reason,
      calibratedAt: new Date().toISOString(),
      modelVersion: firstVersions?.specificVersion ?? 'none',
    },
    sampled,
  };
  await runs.saveGuarantee(outputPrefix, runId, outcome);
  runtime.logger.info({ runId, threshold: choice.threshold, rowsSampled: sampled.length, rounds: step.rounds }, 'guarantee threshold chosen');

  const sampledByShard = new Map<number, LlmCallResult[]>();
  for (const i of choice.largeAnswers.keys()) {
    const { shard, line } = rows[i]!;
    sampledByShard.set(shard, [...(sampledByShard.get(shard) ?? []), answers.get(rowKey(shard, line))!]);
  }
  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  const routes: CatalogJob<'route-shard'>[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const scored = versions.get(shard) ?? firstVersions;
    routes.push({
      name: 'route-shard',
      data: {
        runId,
        outputPrefix,
        shard,
        attempt,
        guarantee: {
          threshold: choice.threshold,
          sampled: sampledByShard.get(shard) ?? [],
          versions: { specificVersion: scored?.specificVersion ?? 'none', learnableVersion: scored?.learnableVersion ?? null, lines: versions.get(shard)?.lines ?? 0 },
        },
      },
      opts: { jobId: jobId('route-shard', ...attemptParts(runId, attempt), shard), parent, ignoreDependencyOnFailure: true },
    });
  }
  await runtime.queues.addBulk(routes);
  return { kind: 'routed', outcome };
}

/** One round: llm-calls of up to LLM_ROWS_PER_JOB rows of one shard (each reads its rows among the shard's hard rows). */
async function askRound(
  runtime: Runtime,
  job: Job,
  r: { runId: string; outputPrefix: string; attempt: number; round: number; rows: RunRow[] },
): Promise<void> {
  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  const byShard = new Map<number, RunRow[]>();
  for (const row of r.rows) byShard.set(row.shard, [...(byShard.get(row.shard) ?? []), row]);
  await runtime.queues.addBulk(
    [...byShard.entries()].flatMap(([shard, shardRows]) =>
      inGroupsOf(shardRows, runtime.config.LLM_ROWS_PER_JOB).map((group): CatalogJob<'llm-call'> => ({
        name: 'llm-call',
        data: { runId: r.runId, outputPrefix: r.outputPrefix, shard, rows: group.map((row) => ({ line: row.line, rowId: row.id })), sampleRound: r.round },
        // A call that fails for good stops the walk there (see LargeAnswersUnavailable), never the run.
        opts: { jobId: sampleCallJobId(r.runId, r.attempt, shard, group[0]!.line), parent, ignoreDependencyOnFailure: true },
      })),
    ),
  );
}
