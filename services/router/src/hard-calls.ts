import { attemptParts, inGroupsOf, jobId, llmCallResultsOf, type JobPayload, type LlmCallResult } from '@datashunt/contracts';
import { failedCallRows, rowKey, type CatalogJob, type Runtime } from '@datashunt/runtime';

export function llmCallJobId(runId: string, attempt: number, shard: number, firstLine: number): string {
  return jobId('llm-call', ...attemptParts(runId, attempt), shard, firstLine);
}

/**
 * A shard's hard rows as llm-call children of its route job, LLM_ROWS_PER_JOB rows each (in line
 * order; a job is named by its first line). A call that fails for good must not stall the shard:
 * its rows fall back, flagged llm_error.
 */
export function hardCallJobs(
  runtime: Runtime,
  parentId: string,
  shard: { runId: string; outputPrefix: string; shard: number; attempt: number },
  rows: JobPayload<'llm-call'>['rows'],
): CatalogJob<'llm-call'>[] {
  const { runId, outputPrefix, attempt } = shard;
  return inGroupsOf(rows, runtime.config.LLM_ROWS_PER_JOB).map((group) => ({
    name: 'llm-call',
    data: { runId, outputPrefix, shard: shard.shard, rows: group },
    opts: { jobId: llmCallJobId(runId, attempt, shard.shard, group[0]!.line), parent: { id: parentId, queue: runtime.queues.qualified('route') }, ignoreDependencyOnFailure: true },
  }));
}

/**
 * The large answers a route job collects: those its guarantee sampling bought, then its children's
 * (`{ rows }` of llm-call and llm-batch jobs, and the rows a failed child had finished), with why each
 * other row of a failed child has none.
 */
export async function collectAnswers(
  runtime: Runtime,
  shard: number,
  values: Record<string, unknown>,
  failures: Record<string, string>,
  sampled: LlmCallResult[],
): Promise<{ answers: Map<number, LlmCallResult>; failureOf: (line: number) => string | undefined; failedRows: number }> {
  const failed = await failedCallRows(runtime.queues.queue('llm'), failures);
  // Every child of a route job asks rows of its shard: lines alone name them.
  const answers = new Map<number, LlmCallResult>([...sampled, ...failed.answers.map((a) => a.result)].map((a) => [a.line, a]));
  for (const value of Object.values(values)) for (const answer of llmCallResultsOf(value)) answers.set(answer.line, answer);
  return { answers, failureOf: (line) => failed.reasons.get(rowKey(shard, line)), failedRows: failed.reasons.size };
}
