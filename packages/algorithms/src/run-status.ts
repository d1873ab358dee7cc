import type { RunStatus } from '@datashunt/contracts';

export interface RunOutcomeFacts {
  rows: number;
  results: number;
  rejects: number;
  /** Fallback counts by reason (llm_error, unresolved, over_budget). */
  fallbackReasons: Record<string, number>;
  /** Shards that failed for good, with why; their rows are unfinished, not rejected (a resume finishes them). */
  failedShards: Array<{ shard: number; reason: string }>;
  /** Rows of the failed shards. */
  unfinishedRows: number;
  /** The cancel note when a person cancelled the run. */
  cancelled: string | null;
  /** Set when the run's circuit breaker tripped on a fatal endpoint answer (401, 403, 404, unsupported parameter). */
  breaker: string | null;
  /** The manifest's limit on the share of rows rejected; above it the run fails. */
  maxRejectShare: number | null;
}

/**
 * A run that could not do its job fails, with the reason; one that did it with rows that needed
 * attention succeeds with warnings that say so. Never a plain success that hides either.
 */
export function decideRunStatus(facts: RunOutcomeFacts): { status: RunStatus; failure: string | null; warnings: string[] } {
  const failures: string[] = [];
  const warnings: string[] = [];
  if (facts.breaker) failures.push(`the large-model endpoint refused the run: ${facts.breaker}`);
  for (const f of facts.failedShards) failures.push(`shard ${f.shard} failed: ${f.reason}`);
  if (facts.failedShards.length) failures.push(`${facts.unfinishedRows} rows not finished; \`datashunt runs resume\` finishes them without paying again for answers already received`);
  const total = facts.results + facts.rejects + facts.unfinishedRows;
  if (total > 0 && facts.results === 0 && facts.unfinishedRows === 0) failures.push(`all ${facts.rejects} rows were rejected (see rejects.jsonl)`);
  else if (facts.maxRejectShare !== null && total > 0 && facts.rejects / total > facts.maxRejectShare) {
    failures.push(`${facts.rejects} of ${total} rows were rejected (${percent(facts.rejects / total)}), above the manifest's limit of ${percent(facts.maxRejectShare)}`);
  } else if (facts.rejects > 0) warnings.push(`${facts.rejects} of ${total} rows were rejected (see rejects.jsonl)`);
  if (total === 0) failures.push('the input held no rows');
  for (const [reason, count] of Object.entries(facts.fallbackReasons)) {
    if (count > 0) warnings.push(`${count} rows fell back to the small model's answer (${reason})`);
  }
  // A person's cancel is the run's end, whatever else went wrong; what did is kept as the failure text.
  if (facts.cancelled) return { status: 'cancelled', failure: failures.length ? failures.join('; ') : null, warnings: [facts.cancelled, ...warnings] };
  if (failures.length) return { status: 'failed', failure: failures.join('; '), warnings };
  return { status: warnings.length ? 'succeeded-with-warnings' : 'succeeded', failure: null, warnings };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
