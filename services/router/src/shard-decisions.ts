import { confidentSmall, guaranteeShunt, RunReportTally, shunt, topClass, type ShuntDecision } from '@datashunt/algorithms';
import type { LlmCallResult, ResultRecord, RunManifest } from '@datashunt/contracts';
import type { ScoredRow, ShardPart } from '@datashunt/runs';

const NO_TOKENS = Object.freeze({ input: 0, output: 0 });

export interface ModelVersions {
  specificVersion: string;
  learnableVersion: string | null;
}

/** A guarantee run's routing: its sampling phase's threshold, and the lines whose large answers it bought. */
export interface GuaranteeRouting {
  threshold: number | null;
  sampledLines: ReadonlySet<number>;
}

export function decide(manifest: RunManifest, scored: ScoredRow, guarantee?: GuaranteeRouting): ShuntDecision | undefined {
  if ('reject' in scored) return undefined;
  const p2 = scored.p2 ?? undefined;
  if (guarantee) {
    // A sampled row keeps the large answer the sampling phase bought for it.
    if (guarantee.sampledLines.has(scored.line)) return { source: 'large', fallbackIndex: confidentSmall(scored.p1, p2).index };
    return guaranteeShunt(guarantee.threshold, scored.p1, p2);
  }
  switch (manifest.strategy) {
    case 'shunt':
      return shunt(manifest.delta, scored.p1, p2);
    case 'small-only':
      return shunt(0, scored.p1, p2);
    case 'large-only':
      return { source: 'large', fallbackIndex: topClass(scored.p1).index };
  }
}

/**
 * The shard's part: one result or reject per scored row, in line order, with the shard's tally. Rows
 * the shunt sent to the large model take its answer; a row whose call left no answer falls back to
 * the small model, flagged.
 */
export function buildPart(
  manifest: RunManifest,
  scoredRows: ScoredRow[],
  versions: ModelVersions,
  largeAnswers: Map<number, LlmCallResult>,
  missingReason: (line: number) => string | undefined,
  guarantee?: GuaranteeRouting,
): { part: ShardPart; tally: RunReportTally } {
  const labels = manifest.task.labels;
  const part: ShardPart = { results: [], rejects: [] };
  const tally = new RunReportTally();
  for (const scored of scoredRows) {
    if ('reject' in scored) {
      part.rejects.push({ line: scored.line, id: scored.id, reason: scored.reject });
      tally.addRejects();
      continue;
    }
    const decision = decide(manifest, scored, guarantee)!;
    // Built field by field rather than by spreads: a shard makes thousands of these per second.
    const result: ResultRecord = {
      id: scored.id,
      line: scored.line,
      label: '',
      source: 'small',
      c_s1: topClass(scored.p1).confidence,
      c_s2: scored.p2 ? topClass(scored.p2).confidence : null,
      c_l: null,
      tokens: NO_TOKENS,
      cost: 0,
      modelVersion: versions.specificVersion,
    };
    if (decision.source !== 'large') {
      result.label = labels[decision.index]!;
      result.source = decision.source;
      if (decision.source === 'learnable') result.modelVersion = versions.learnableVersion!;
    } else {
      const answer = largeAnswers.get(scored.line);
      if (answer) {
        result.label = answer.label;
        result.source = answer.source;
        result.c_l = answer.c_l;
        result.tokens = answer.tokens;
        result.cost = answer.cost;
        if (answer.fallbackReason) result.fallbackReason = answer.fallbackReason;
        if (answer.error) result.error = answer.error;
        if (answer.cached) result.cached = true;
        if (answer.batch) result.batch = true;
      } else {
        result.label = labels[decision.fallbackIndex]!;
        result.source = 'fallback';
        result.fallbackReason = 'llm_error';
        result.error = missingReason(scored.line) ?? 'the large-model call left no answer';
      }
    }
    if (scored.gold !== undefined) result.gold = scored.gold;
    if (manifest.output.probabilities) result.probabilities = probabilitiesByLabel(labels, scored.p1);
    if (scored.columns) result.columns = scored.columns;
    part.results.push(result);
    tally.addResult(result);
  }
  return { part, tally };
}

function probabilitiesByLabel(labels: string[], probabilities: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  labels.forEach((label, i) => (out[label] = probabilities[i]!));
  return out;
}
