import { shunt, topClass, type ShuntDecision } from '@datashunt/algorithms';
import type { LlmCallResult, Manifest, ResultRecord } from '@datashunt/contracts';
import type { PartRecord, ScoredRow, ShardRow } from '@datashunt/runs';

export interface ScoredShardRow {
  row: ShardRow;
  scored: ScoredRow;
}

export interface ModelVersions {
  specificVersion: string;
  learnableVersion: string | null;
}

/** Pairs a shard's rows with their scores; both files are in line order, one entry per row. */
export function zipScored(rows: ShardRow[], scored: ScoredRow[]): ScoredShardRow[] {
  if (rows.length !== scored.length) throw new Error(`shard has ${rows.length} rows but ${scored.length} scores`);
  return rows.map((row, i) => {
    const s = scored[i]!;
    if (s.line !== row.line) throw new Error(`score for line ${s.line} found where line ${row.line} was expected`);
    return { row, scored: s };
  });
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
 * The shard's part: one result or reject per row, in line order. Rows the shunt sent to the large
 * model take its answer; a row whose call left no answer falls back to the small model, flagged.
 */
export function buildPart(
  manifest: Manifest,
  entries: ScoredShardRow[],
  versions: ModelVersions,
  largeAnswers: Map<number, LlmCallResult>,
  missingReason: (line: number) => string | undefined,
): PartRecord[] {
  const labels = manifest.task.labels;
  return entries.map(({ row, scored }) => {
    if ('reject' in scored) return { reject: { line: row.line, id: row.id, reason: scored.reject } };
    const decision = decide(manifest, scored)!;
    const c_s1 = Math.max(...scored.p1);
    const c_s2 = scored.p2 ? Math.max(...scored.p2) : null;
    const base = {
      id: row.id,
      line: row.line,
      c_s1,
      c_s2,
      ...(row.label !== undefined ? { gold: row.label } : {}),
    };
    if (decision.source !== 'large') {
      const modelVersion = decision.source === 'small' ? versions.specificVersion : versions.learnableVersion!;
      const result: ResultRecord = { ...base, label: labels[decision.index]!, source: decision.source, c_l: null, tokens: { input: 0, output: 0 }, cost: 0, modelVersion };
      return { result };
    }
    const answer = largeAnswers.get(row.line);
    const modelVersion = versions.specificVersion;
    if (!answer) {
      const result: ResultRecord = {
        ...base,
        label: labels[decision.fallbackIndex]!,
        source: 'fallback',
        c_l: null,
        tokens: { input: 0, output: 0 },
        cost: 0,
        modelVersion,
        fallbackReason: 'llm_error',
        error: missingReason(row.line) ?? 'the large-model call left no answer',
      };
      return { result };
    }
    const result: ResultRecord = {
      ...base,
      label: answer.label,
      source: answer.source,
      c_l: answer.c_l,
      tokens: answer.tokens,
      cost: answer.cost,
      modelVersion,
      ...(answer.fallbackReason ? { fallbackReason: answer.fallbackReason } : {}),
      ...(answer.error ? { error: answer.error } : {}),
      ...(answer.cached ? { cached: true } : {}),
    };
    return { result };
  });
}
