import { RunReportTally, shunt, topClass, type ShuntDecision } from '@datashunt/algorithms';
import type { LlmCallResult, Manifest, ResultRecord } from '@datashunt/contracts';
import type { ScoredRow, ShardPart } from '@datashunt/runs';

export interface ModelVersions {
  specificVersion: string;
  learnableVersion: string | null;
}

export function decide(manifest: Manifest, scored: ScoredRow): ShuntDecision | undefined {
  if ('reject' in scored) return undefined;
  const p2 = scored.p2 ?? undefined;
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
  manifest: Manifest,
  scoredRows: ScoredRow[],
  versions: ModelVersions,
  largeAnswers: Map<number, LlmCallResult>,
  missingReason: (line: number) => string | undefined,
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
    const decision = decide(manifest, scored)!;
    const base = {
      id: scored.id,
      line: scored.line,
      c_s1: Math.max(...scored.p1),
      c_s2: scored.p2 ? Math.max(...scored.p2) : null,
      ...(scored.gold !== undefined ? { gold: scored.gold } : {}),
    };
    const none = { c_l: null, tokens: { input: 0, output: 0 }, cost: 0 };
    let result: ResultRecord;
    if (decision.source !== 'large') {
      const modelVersion = decision.source === 'small' ? versions.specificVersion : versions.learnableVersion!;
      result = { ...base, ...none, label: labels[decision.index]!, source: decision.source, modelVersion };
    } else {
      const answer = largeAnswers.get(scored.line);
      result = answer
        ? {
            ...base,
            label: answer.label,
            source: answer.source,
            c_l: answer.c_l,
            tokens: answer.tokens,
            cost: answer.cost,
            modelVersion: versions.specificVersion,
            ...(answer.fallbackReason ? { fallbackReason: answer.fallbackReason } : {}),
            ...(answer.error ? { error: answer.error } : {}),
            ...(answer.cached ? { cached: true } : {}),
          }
        : {
            ...base,
            ...none,
            label: labels[decision.fallbackIndex]!,
            source: 'fallback',
            modelVersion: versions.specificVersion,
            fallbackReason: 'llm_error',
            error: missingReason(scored.line) ?? 'the large-model call left no answer',
          };
    }
    part.results.push(result);
    tally.addResult(result);
  }
  return { part, tally };
}
