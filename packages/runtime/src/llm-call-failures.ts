import { Job, type Queue } from 'bullmq';
import { catalog, type LlmCallResult } from '@datashunt/contracts';

/** A row's key across a run: lines count from each shard's first. */
export function rowKey(shard: number, line: number): string {
  return `${shard}.${line}`;
}

/** A parent's child key (`<prefix>:<queue>:<job id>`) names an llm-call job when its id does. */
export function isLlmCallKey(key: string): boolean {
  return key.includes(':llm-call.');
}

/**
 * What the llm-call children that failed for good (a parent's ignored failures, by child key) leave
 * their rows: the answers an earlier attempt finished and kept (paid for, so kept), and for every other
 * row the reason its job gave, by rowKey. The failed jobs are read back for their rows (failed jobs
 * are kept for days); one already removed names no row.
 */
export async function failedCallRows(llmQueue: Queue, failures: Record<string, string>): Promise<{ answers: Array<{ shard: number; result: LlmCallResult }>; reasons: Map<string, string> }> {
  const answers: Array<{ shard: number; result: LlmCallResult }> = [];
  const reasons = new Map<string, string>();
  for (const [key, reason] of Object.entries(failures)) {
    if (!isLlmCallKey(key)) continue;
    const job = await Job.fromId(llmQueue, key.slice(key.lastIndexOf(':') + 1));
    const data = job ? catalog['llm-call'].schema.safeParse(job.data) : undefined;
    if (!data?.success) continue;
    const { shard, done = [], rows } = data.data;
    const finished = new Set(done.map((answer) => answer.line));
    answers.push(...done.map((result) => ({ shard, result })));
    for (const row of rows) if (!finished.has(row.line)) reasons.set(rowKey(shard, row.line), reason);
  }
  return { answers, reasons };
}
