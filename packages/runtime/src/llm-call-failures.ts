import { Job, type Queue } from 'bullmq';
import { catalog, type LlmCallResult } from '@datashunt/contracts';

/** A parent's child key (`<prefix>:<queue>:<job id>`) names an llm-call job when its id does. */
export function isLlmCallKey(key: string): boolean {
  return key.includes(':llm-call.');
}

/**
 * What the llm-call children that failed for good (a parent's ignored failures, by child key) leave
 * their rows: the answers an earlier attempt finished and kept (paid for, so kept), and for every other
 * row the reason its job gave. The failed jobs are read back for their rows (failed jobs are kept for
 * days); one already removed names no row.
 */
export async function failedCallRows(llmQueue: Queue, failures: Record<string, string>): Promise<{ answers: LlmCallResult[]; reasons: Map<number, string> }> {
  const answers: LlmCallResult[] = [];
  const reasons = new Map<number, string>();
  for (const [key, reason] of Object.entries(failures)) {
    if (!isLlmCallKey(key)) continue;
    const job = await Job.fromId(llmQueue, key.slice(key.lastIndexOf(':') + 1));
    const data = job ? catalog['llm-call'].schema.safeParse(job.data) : undefined;
    if (!data?.success) continue;
    const done = new Set((data.data.done ?? []).map((answer) => answer.line));
    answers.push(...(data.data.done ?? []));
    for (const row of data.data.rows) if (!done.has(row.line)) reasons.set(row.line, reason);
  }
  return { answers, reasons };
}
