import { toFile } from 'openai';
import type OpenAI from 'openai';
import { splitWithinBatchLimits, type LargeModelSpec } from '@datashunt/contracts';
import { costUsd, batchPricing, estimateCallUsd } from './cost.js';
import { toLlmError } from './errors.js';
import { readCompletion, type AnswerLog, type ChatMessage, type Completion, type LargeModelClient } from './large-model-client.js';

/** Whose batch this is: the job (its id names the rows' requests across retries), its run and budget. */
export interface BatchContext {
  manifestLargeModel: LargeModelSpec;
  runId: string;
  budgetUsd: number;
  answerLog?: AnswerLog;
  /** The job id: found again in a batch's metadata, and part of every row's sent marker. */
  callKey: string;
  /** When the job was created (ms): batches older than this are not its own, so the search stops there. */
  since: number;
}

/** One row to ask: its line (the custom_id) and prompt. */
export interface BatchRow {
  line: number;
  messages: ChatMessage[];
}

export type BatchProgress = { state: 'running' } | { state: 'ended'; statuses: string[] };

/** A line the batch did not answer, and why (the error file's message, or the whole batch's fate). */
export type LineFailures = Map<number, string>;

/** Statuses after which a batch changes no more. */
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);
const CHAT_URL = '/v1/chat/completions';
/** Batches made long before the job started are never its own; a little slack for clock skew. */
const SEARCH_SLACK_SECONDS = 300;

/**
 * A job's hard rows through the provider's batch interface (OpenAI's files + batches), with the same
 * cache, answer log and budget meter as synchronous calls: a row answered before is not sent; each
 * row sent reserves its worst case at the batch price under a token naming the round, so a retry of
 * the same round reserves nothing twice; a batch is found again by its metadata before one is made,
 * so a job retried after creating its batch never pays for the rows again.
 */
export class BatchRequests {
  constructor(private readonly client: LargeModelClient) {}

  /** Rows already answered (cache or answer log), as completions; the others are still to ask. */
  async known(context: BatchContext, rows: BatchRow[]): Promise<Map<number, Completion>> {
    const known = new Map<number, Completion>();
    for (const row of rows) {
      const completion = await this.client.known(context, this.hashOf(context, row));
      if (completion) known.set(row.line, completion);
    }
    return known;
  }

  /**
   * Reserves each row's worst case at the batch price and sends the rows that fit in batches within
   * the per-file limits (found again by metadata when an earlier try of this round made them). Returns
   * the batches and the rows the budget refused.
   */
  async submit(context: BatchContext, rows: BatchRow[], round: number): Promise<{ batchIds: string[]; overBudget: number[] }> {
    const spec = context.manifestLargeModel;
    // Asked first: an endpoint that refuses the run (a bad key) does so before anything is reserved.
    const existing = await this.ownBatches(context, round);
    const reserved: Array<{ line: string; bytes: number }> = [];
    const overBudget: number[] = [];
    for (const row of rows) {
      const { hash, body } = this.client.requestOf(spec, row.messages);
      if (!(await this.client.budget.reserve(context.runId, this.estimate(row, spec), context.budgetUsd, this.attempt(context, hash, round)))) {
        overBudget.push(row.line);
        continue;
      }
      const line = JSON.stringify({ custom_id: String(row.line), method: 'POST', url: CHAT_URL, body });
      reserved.push({ line, bytes: Buffer.byteLength(line) + 1 });
    }
    const chunks = splitWithinBatchLimits(reserved, (r) => r.bytes).map((chunk) => chunk.map((r) => r.line));
    const batchIds: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      batchIds.push(existing.get(String(i)) ?? (await this.create(context, chunk, round, i)));
    }
    return { batchIds, overBudget };
  }

  /** Whether every batch has ended, and how. */
  async progress(context: BatchContext, batchIds: string[]): Promise<BatchProgress> {
    const statuses: string[] = [];
    for (const id of batchIds) {
      const batch = await this.call(context, (openai) => openai.batches.retrieve(id));
      if (!ENDED.has(batch.status)) return { state: 'running' };
      statuses.push(batch.status);
    }
    return { state: 'ended', statuses };
  }

  /** Asks the provider to stop the batches; what they answered before stopping is still collected. */
  async cancel(context: BatchContext, batchIds: string[]): Promise<void> {
    for (const id of batchIds) {
      const batch = await this.call(context, (openai) => openai.batches.retrieve(id));
      if (!ENDED.has(batch.status) && batch.status !== 'cancelling') await this.call(context, (openai) => openai.batches.cancel(id));
    }
  }

  /**
   * Reads ended batches: every answered line is cached, settled as paid at the batch price and logged
   * (so `known` finds it); every other line of their input is settled as unpaid and returned with why.
   * Collecting the same batches again changes nothing (each row's settle counts once).
   */
  async collect(context: BatchContext, batchIds: string[], rows: BatchRow[], round: number): Promise<LineFailures> {
    const spec = context.manifestLargeModel;
    const byLine = new Map(rows.map((row) => [String(row.line), row]));
    const failures: LineFailures = new Map();
    for (const id of batchIds) {
      const batch = await this.call(context, (openai) => openai.batches.retrieve(id));
      const sent = (await this.fileLines(context, batch.input_file_id)).map((line) => line.custom_id as string);
      const answered = new Set<string>();
      const errors = new Map<string, string>();
      for (const line of await this.fileLines(context, batch.output_file_id)) {
        const row = byLine.get(line.custom_id);
        const response = line.response as { status_code?: number; body?: unknown } | null;
        if (!row || response?.status_code !== 200) {
          errors.set(line.custom_id, `status ${response?.status_code ?? 'none'}`);
          continue;
        }
        const { hash } = this.client.requestOf(spec, row.messages);
        let completion;
        try {
          completion = readCompletion(response.body, row.messages);
        } catch (error) {
          errors.set(line.custom_id, (error as Error).message);
          continue;
        }
        const paidUsd = costUsd(completion.tokens, batchPricing(spec));
        await this.client.keepPaid(context, hash, { ...completion, paidBy: context.callKey, paidUsd }, this.estimate(row, spec), this.attempt(context, hash, round));
        answered.add(line.custom_id);
      }
      for (const line of await this.fileLines(context, batch.error_file_id)) errors.set(line.custom_id, lineError(line));
      const batchFate = `batch ${batch.status}${batch.errors?.data?.[0]?.message ? `: ${batch.errors.data[0].message}` : ''}`;
      for (const customId of sent) {
        const row = byLine.get(customId);
        if (answered.has(customId) || !row) continue;
        const { hash } = this.client.requestOf(spec, row.messages);
        await this.client.budget.settle(context.runId, this.estimate(row, spec), 0, 'unpaid', this.attempt(context, hash, round));
        failures.set(row.line, errors.get(customId) ?? batchFate);
      }
    }
    return failures;
  }

  private hashOf(context: BatchContext, row: BatchRow): string {
    return this.client.requestOf(context.manifestLargeModel, row.messages).hash;
  }

  private estimate(row: BatchRow, spec: LargeModelSpec): number {
    return estimateCallUsd(row.messages, { pricing: batchPricing(spec), maxOutputTokens: spec.maxOutputTokens });
  }

  /** A row's sent marker across the job's tries, its token the round: a retry of the round is the same attempt. */
  private attempt(context: BatchContext, hash: string, round: number) {
    return { key: `${context.callKey}:${hash}`, token: `batch-r${round}` };
  }

  private async create(context: BatchContext, chunk: string[], round: number, index: number): Promise<string> {
    const file = await this.call(context, async (openai) => openai.files.create({ file: await toFile(Buffer.from(`${chunk.join('\n')}\n`), 'requests.jsonl'), purpose: 'batch' }));
    const batch = await this.call(context, (openai) =>
      openai.batches.create({ input_file_id: file.id, endpoint: CHAT_URL, completion_window: '24h', metadata: { datashunt_job: context.callKey, datashunt_round: String(round), datashunt_chunk: String(index) } }),
    );
    return batch.id;
  }

  /** This job's batches of this round, by chunk, made by an earlier try (newest first, back to the job's start). */
  private async ownBatches(context: BatchContext, round: number): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const oldest = Math.floor(context.since / 1000) - SEARCH_SLACK_SECONDS;
    await this.call(context, async (openai) => {
      for await (const batch of openai.batches.list({ limit: 100 })) {
        if (batch.created_at < oldest) break;
        const meta = batch.metadata ?? {};
        if (meta.datashunt_job === context.callKey && meta.datashunt_round === String(round) && meta.datashunt_chunk !== undefined && !found.has(meta.datashunt_chunk)) {
          found.set(meta.datashunt_chunk, batch.id);
        }
      }
    });
    return found;
  }

  private async fileLines(context: BatchContext, fileId: string | undefined): Promise<Array<Record<string, unknown> & { custom_id: string }>> {
    if (!fileId) return [];
    const text = await this.call(context, async (openai) => (await openai.files.content(fileId)).text());
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown> & { custom_id: string });
  }

  /** An SDK call on the run's endpoint, its errors mapped as synchronous calls' are (the key never in a message). */
  private async call<T>(context: BatchContext, fn: (openai: OpenAI) => Promise<T>): Promise<T> {
    const { openai, apiKey } = this.client.client(context.manifestLargeModel.endpoint);
    try {
      return await fn(openai);
    } catch (error) {
      throw toLlmError(error, apiKey);
    }
  }
}

function lineError(line: Record<string, unknown>): string {
  const error = line.error as { code?: string; message?: string } | null | undefined;
  if (error) return `${error.code ?? 'error'}: ${error.message ?? ''}`.trim();
  const response = line.response as { status_code?: number; body?: { error?: { message?: string } } } | null | undefined;
  return `status ${response?.status_code ?? 'none'}: ${response?.body?.error?.message ?? 'no answer'}`;
}
