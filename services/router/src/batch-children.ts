import { attemptParts, BATCH_FILE_LIMITS, jobId, splitWithinBatchLimits, type RunManifest } from '@datashunt/contracts';
import type { HardRow } from '@datashunt/runs';
import type { CatalogJob } from '@datashunt/runtime';

/** Bytes a request line adds around the row itself: the JSONL envelope, model, parameters, prompt text. */
const REQUEST_OVERHEAD_BYTES = 1_024;

export function llmBatchJobId(runId: string, attempt: number, shard: number, fromLine: number, toLine: number): string {
  return jobId('llm-batch', ...attemptParts(runId, attempt), shard, `${fromLine}-${toLine}`);
}

/**
 * Batch mode: a shard's hard rows (in line order) as llm-batch children, one per part that fits the
 * provider's per-file limits (requests, and bytes estimated from the row, its prompt's fixed text and
 * the envelope); one child unless the shard is very large. The llm-batch job splits again should its
 * exact request lines not fit.
 */
export function llmBatchChildren(
  manifest: RunManifest,
  hardRows: readonly HardRow[],
  job: { runId: string; outputPrefix: string; shard: number; attempt: number },
  parent: { id: string; queue: string },
  limits = BATCH_FILE_LIMITS,
): CatalogJob<'llm-batch'>[] {
  const fixedBytes = REQUEST_OVERHEAD_BYTES + Buffer.byteLength(manifest.task.instruction) + Buffer.byteLength(JSON.stringify(manifest.task.labels));
  const parts = splitWithinBatchLimits(hardRows, (row) => fixedBytes + Buffer.byteLength(JSON.stringify(row)), limits);
  return parts.map((part) => {
    const fromLine = part[0]!.line;
    const toLine = part[part.length - 1]!.line;
    return {
      name: 'llm-batch',
      data: { runId: job.runId, outputPrefix: job.outputPrefix, shard: job.shard, fromLine, toLine, round: 0, batchIds: [], overBudgetLines: [] },
      // A batch job that fails for good must not stall the shard: its rows fall back, flagged llm_error.
      opts: { jobId: llmBatchJobId(job.runId, job.attempt, job.shard, fromLine, toLine), parent, ignoreDependencyOnFailure: true },
    };
  });
}

/** The failure of the llm-batch child whose lines hold `line`, from the parent's ignored child failures (keyed by job key). */
export function batchFailureOf(failures: Record<string, string>): (line: number) => string | undefined {
  const ranges = Object.entries(failures).flatMap(([key, reason]) => {
    const match = /llm-batch\..*\.(\d+)-(\d+)$/.exec(key);
    return match ? [{ from: Number(match[1]), to: Number(match[2]), reason }] : [];
  });
  return (line) => ranges.find((r) => line >= r.from && line <= r.to)?.reason;
}
