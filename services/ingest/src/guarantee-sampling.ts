import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { confidentSmall, guaranteeRound, type GuaranteeTarget, type ScoredRow as WalkRow } from '@datashunt/algorithms';
import { attemptParts, inGroupsOf, jobId, llmCallResultsOf, type GuaranteeSpec, type JobPayload, type LlmCallResult } from '@datashunt/contracts';
import type { GuaranteeOutcome, HardRow, RunSnapshot, RunStore } from '@datashunt/runs';
import { failedCallRows, isLlmCallKey, type CatalogJob, type Runtime } from '@datashunt/runtime';

/**
 * A guarantee run's sampling phase, run by manifest-ingest between scoring and routing. Each call is
 * one round: it replays the BARGAIN walk over the run's scored rows with the large answers its
 * llm-call children bought so far (their return values), and either adds the next batch as llm-call
 * children or, when the walk is done, stores the threshold and adds the route jobs. Row text stays in
 * S3: each round's rows go to a sample object of their own, read by llm-call like hard rows.
 */

interface ScoredVersions {
  specificVersion: string;
  learnableVersion: string | null;
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
  probs: number[];
  fallbackLabel: string;
}

/** A sampling call is named by its first row's line: a line is sampled at most once per run attempt. */
export function sampleCallJobId(runId: string, attempt: number, firstLine: number): string {
  return jobId('llm-call', ...attemptParts(runId, attempt), 'sample', firstLine);
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
  const answers = new Map<number, LlmCallResult>(failed.answers.map((a) => [a.line, a]));
  for (const [key, value] of Object.entries(values)) {
    if (key.includes(':score-shard.')) versions.set(lastPart(key), value as ScoredVersions);
    if (isLlmCallKey(key)) for (const answer of llmCallResultsOf(value)) answers.set(answer.line, answer);
  }

  const rows: RunRow[] = [];
  const walkRows: WalkRow[] = [];
  const shardRows: number[] = [];
  const labels = manifest.task.labels;
  for (let shard = 0; shard < shards; shard++) {
    shardRows.push(0);
    for await (const row of runs.readScored(outputPrefix, runId, shard)) {
      shardRows[shard]! += 1;
      if ('reject' in row) continue;
      const best = confidentSmall(row.p1, row.p2 ?? undefined);
      rows.push({ shard, line: row.line, id: row.id, probs: row.p1, fallbackLabel: labels[best.index]! });
      walkRows.push({ confidence: best.confidence, smallLabel: labels[best.index]! });
    }
  }
  const known = new Map<number, string>();
  const unanswerable = new Set<number>();
  rows.forEach((row, i) => {
    const answer = answers.get(row.line);
    if (answer?.source === 'large') known.set(i, answer.label);
    else if (answer || failed.reasons.has(row.line)) unanswerable.add(i);
  });

  const step = await guaranteeRound({ rows: walkRows, target: guaranteeTarget(spec), alpha: spec.alpha, seed: walkSeed(runId), known, unanswerable });
  if (step.kind === 'ask') {
    await askRound(runtime, runs, job, { runId, outputPrefix, attempt, round: step.round, rows: step.rows.map((i) => rows[i]!) });
    return { kind: 'asked', round: step.round, rows: step.rows.length };
  }

  const { choice } = step;
  const sampledLines = [...choice.largeAnswers.keys()].map((i) => rows[i]!.line).sort((a, b) => a - b);
  const firstVersions = versions.get(0) ?? [...versions.values()][0];
  const outcome: GuaranteeOutcome = {
    source: {
      kind: 'guarantee',
      target: spec,
      method: 'bargain',
      threshold: choice.threshold,
      rowsSampled: sampledLines.length,
      rowsAsked: known.size + unanswerable.size,
      population: rows.length,
      reason: choice.reason,
      calibratedAt: new Date().toISOString(),
      modelVersion: firstVersions?.specificVersion ?? 'none',
    },
    sampledLines,
  };
  await runs.saveGuarantee(outputPrefix, runId, outcome);
  runtime.logger.info({ runId, threshold: choice.threshold, rowsSampled: sampledLines.length, rounds: step.rounds }, 'guarantee threshold chosen');

  const sampledByShard = new Map<number, LlmCallResult[]>();
  for (const i of choice.largeAnswers.keys()) {
    const { shard, line } = rows[i]!;
    sampledByShard.set(shard, [...(sampledByShard.get(shard) ?? []), answers.get(line)!]);
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
        rows: shardRows[shard]!,
        attempt,
        guarantee: {
          threshold: choice.threshold,
          sampled: sampledByShard.get(shard) ?? [],
          versions: { specificVersion: scored?.specificVersion ?? 'none', learnableVersion: scored?.learnableVersion ?? null },
        },
      },
      opts: { jobId: jobId('route-shard', ...attemptParts(runId, attempt), shard), parent, ignoreDependencyOnFailure: true },
    });
  }
  await runtime.queues.addBulk(routes);
  return { kind: 'routed', outcome };
}

/** One round: the batch's rows (inputs from their shards) into the round's sample object, then llm-calls of LLM_ROWS_PER_JOB rows. */
async function askRound(
  runtime: Runtime,
  runs: RunStore,
  job: Job,
  r: { runId: string; outputPrefix: string; attempt: number; round: number; rows: RunRow[] },
): Promise<void> {
  const inputs = new Map<number, HardRow['input']>();
  const wanted = new Set(r.rows.map((row) => row.line));
  for (const shard of new Set(r.rows.map((row) => row.shard))) {
    for await (const row of runs.readShard(r.outputPrefix, r.runId, shard)) if (wanted.has(row.line)) inputs.set(row.line, row.input);
  }
  // The same probabilities and input as the router's hard row would have: the same prompt, so a row
  // routed to the large model later is answered by the response cache.
  const sample: HardRow[] = r.rows.map((row) => ({ line: row.line, input: inputs.get(row.line)!, probs: row.probs, fallbackLabel: row.fallbackLabel }));
  await runs.writeSampleRows(r.outputPrefix, r.runId, r.round, sample);
  const parent = { id: job.id!, queue: runtime.queues.qualified('ingest') };
  await runtime.queues.addBulk(
    inGroupsOf(r.rows, runtime.config.LLM_ROWS_PER_JOB).map((group): CatalogJob<'llm-call'> => ({
      name: 'llm-call',
      data: { runId: r.runId, outputPrefix: r.outputPrefix, shard: group[0]!.shard, rows: group.map((row) => ({ line: row.line, rowId: row.id })), sampleRound: r.round },
      // A call that fails for good stops the walk there (see LargeAnswersUnavailable), never the run.
      opts: { jobId: sampleCallJobId(r.runId, r.attempt, group[0]!.line), parent, ignoreDependencyOnFailure: true },
    })),
  );
}
