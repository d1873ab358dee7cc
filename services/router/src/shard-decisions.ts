import { RunReportTally } from '@datashunt/algorithms';
import type { LlmCallResult, ResultRecord, RunManifest } from '@datashunt/contracts';
import { decide, type CompactScoredRow, type GuaranteeRouting, type ShardPart } from '@datashunt/runs';

const NO_TOKENS = Object.freeze({ input: 0, output: 0 });

export interface ModelVersions {
  specificVersion: string;
  learnableVersion: string | null;
}

/** What routing needs of a shard's scoring: the versions that scored it, and the lines its range held. */
export interface ScoredShard extends ModelVersions {
  lines: number;
}

/**
 * The shard's part: one result or reject per scored row, in line order, with the shard's tally. Rows
 * the shunt sent to the large model take its answer; a row whose call left no answer falls back to
 * the small model, flagged.
 */
export function buildPart(
  manifest: RunManifest,
  scoredRows: CompactScoredRow[],
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
    const decision = decide(manifest, scored, guarantee);
    // Built field by field rather than by spreads: a shard makes thousands of these per second.
    const result: ResultRecord = {
      id: scored.id,
      line: scored.line,
      label: '',
      source: 'small',
      c_s1: scored.s1.confidence,
      c_s2: scored.s2 ? scored.s2.confidence : null,
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
    if (manifest.output.probabilities) result.probabilities = probabilitiesByLabel(labels, scored.probs);
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
