import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { BatchFaultPlanSchema, FaultQueue, type BatchFault } from './faults.js';
import { HttpError } from './http-error.js';

/**
 * The provider's batch interface as OpenAI offers it: a JSONL of chat completion requests uploaded to
 * /v1/files (purpose "batch"), a batch made of it at /v1/batches, polled until it ends, its output and
 * error files read back from /v1/files/:id/content. Lines are answered like /v1/chat/completions,
 * after a completion delay; faults make a whole batch expire or fail, or a share of its lines fail.
 */

export interface BatchApiOptions {
  /** How long a batch stays in_progress before its lines are answered; default 1,000 ms. */
  completionDelayMs?: number;
  /** Per-file limits; defaults are OpenAI's (50,000 requests, 200 MB). */
  maxRequests?: number;
  maxBytes?: number;
}

export interface BatchStats {
  created: number;
  completed: number;
  expired: number;
  failed: number;
  cancelled: number;
  /** Lines answered with a completion (what a provider bills). */
  linesAnswered: number;
  linesFailed: number;
}

/** Answers one chat completion request body, as the synchronous route does; an HttpError for a bad one. */
export type CompleteRequest = (body: unknown) => Promise<{ usage: { prompt_tokens: number; completion_tokens: number } }>;

const DEFAULT_COMPLETION_DELAY_MS = 1_000;
const MAX_REQUESTS = 50_000;
const MAX_BYTES = 200 * 1024 * 1024;
/** Room for the multipart envelope around a file at the limit, so an oversize file gets the limit's message. */
const MULTIPART_SLACK_BYTES = 64 * 1024;
const CHAT_URL = '/v1/chat/completions';

const RequestLineSchema = z.object({
  custom_id: z.string().min(1).max(512),
  method: z.literal('POST'),
  url: z.literal(CHAT_URL),
  body: z.record(z.string(), z.unknown()),
});
type RequestLine = z.infer<typeof RequestLineSchema>;

const CreateBatchSchema = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.literal(CHAT_URL),
  completion_window: z.literal('24h'),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
});

interface StoredFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  content: Buffer;
  /** Parsed request lines of an uploaded batch input. */
  requests?: RequestLine[];
}

type BatchStatus = 'validating' | 'in_progress' | 'finalizing' | 'completed' | 'failed' | 'expired' | 'cancelling' | 'cancelled';

interface StoredBatch {
  id: string;
  object: 'batch';
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  created_at: number;
  in_progress_at?: number;
  completed_at?: number;
  failed_at?: number;
  expired_at?: number;
  cancelling_at?: number;
  cancelled_at?: number;
  expires_at: number;
  output_file_id?: string;
  error_file_id?: string;
  errors?: { object: 'list'; data: Array<{ code: string; message: string; line: number | null; param: null }> };
  request_counts: { total: number; completed: number; failed: number };
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details: { cached_tokens: 0 }; output_tokens_details: { reasoning_tokens: 0 } };
  metadata: Record<string, string> | null;
}

const now = () => Math.floor(Date.now() / 1000);

export class BatchApi {
  readonly stats: BatchStats = { created: 0, completed: 0, expired: 0, failed: 0, cancelled: 0, linesAnswered: 0, linesFailed: 0 };
  readonly faults = new FaultQueue<BatchFault>();
  private readonly files = new Map<string, StoredFile>();
  /** In creation order; listed newest first. */
  private readonly batches: StoredBatch[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private completionDelayMs: number;
  private readonly maxRequests: number;
  private readonly maxBytes: number;

  constructor(
    private readonly complete: CompleteRequest,
    options: BatchApiOptions = {},
  ) {
    this.completionDelayMs = options.completionDelayMs ?? DEFAULT_COMPLETION_DELAY_MS;
    this.maxRequests = options.maxRequests ?? MAX_REQUESTS;
    this.maxBytes = options.maxBytes ?? MAX_BYTES;
  }

  /** /admin/batch: the completion delay and the batch fault queue, for tests and benchmarks. */
  adminRouter(): express.Router {
    const router = express.Router();
    router.post('/faults', (req, res) => {
      const plan = BatchFaultPlanSchema.safeParse(req.body);
      if (!plan.success) throw new HttpError(400, `invalid batch fault plan: ${plan.error.message}`);
      this.faults.add(plan.data.faults);
      res.json({ pending: this.faults.remaining() });
    });
    router.delete('/faults', (_req, res) => {
      this.faults.clear();
      res.json({ pending: [] });
    });
    router.post('/settings', (req, res) => {
      const settings = z.object({ completionDelayMs: z.number().int().nonnegative() }).safeParse(req.body);
      if (!settings.success) throw new HttpError(400, `invalid batch settings: ${settings.error.message}`);
      this.completionDelayMs = settings.data.completionDelayMs;
      res.json(settings.data);
    });
    return router;
  }

  /** The /v1 routes (mounted behind the API-key check). */
  router(): express.Router {
    const router = express.Router();
    const multipart = express.raw({ type: 'multipart/form-data', limit: this.maxBytes + MULTIPART_SLACK_BYTES });
    router.post(
      '/files',
      (req: Request, res: Response, next: NextFunction) => multipart(req, res, (error?: unknown) => next(isTooLarge(error) ? new HttpError(400, this.tooLargeMessage()) : error)),
      async (req, res) => res.json(publicFile(await this.upload(req))),
    );
    router.get('/files/:id', (req, res) => res.json(publicFile(this.file(req.params.id))));
    router.get('/files/:id/content', (req, res) => {
      res.type('application/jsonl').send(this.file(req.params.id).content);
    });
    router.post('/batches', (req, res) => res.json(this.create(req.body)));
    router.get('/batches', (req, res) => res.json(this.list(req.query)));
    router.get('/batches/:id', (req, res) => res.json(this.batch(req.params.id)));
    router.post('/batches/:id/cancel', (req, res) => res.json(this.cancel(req.params.id)));
    return router;
  }

  private async upload(req: Request): Promise<StoredFile> {
    if (!Buffer.isBuffer(req.body)) throw new HttpError(400, 'upload a file as multipart/form-data with the fields "file" and "purpose"');
    const form = await new globalThis.Response(req.body, { headers: { 'content-type': req.get('content-type')! } }).formData().catch(() => {
      throw new HttpError(400, 'could not read the multipart/form-data body');
    });
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (purpose !== 'batch') throw new HttpError(400, `purpose must be "batch" (got ${JSON.stringify(purpose)})`);
    if (!(file instanceof Blob)) throw new HttpError(400, 'the "file" field must be a file');
    if (file.size > this.maxBytes) throw new HttpError(400, this.tooLargeMessage());
    const content = Buffer.from(await file.arrayBuffer());
    const stored: StoredFile = {
      id: `file-${randomUUID().replaceAll('-', '')}`,
      object: 'file',
      bytes: content.length,
      created_at: now(),
      filename: file instanceof File ? file.name : 'upload.jsonl',
      purpose,
      status: 'processed',
      content,
      requests: this.readRequests(content),
    };
    this.files.set(stored.id, stored);
    return stored;
  }

  private readRequests(content: Buffer): RequestLine[] {
    const lines = content.toString('utf8').split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0) throw new HttpError(400, 'the batch file holds no requests');
    if (lines.length > this.maxRequests) throw new HttpError(400, `a batch file holds at most ${this.maxRequests} requests (this one: ${lines.length})`);
    const ids = new Set<string>();
    return lines.map((line, i) => {
      let parsed: ReturnType<typeof RequestLineSchema.safeParse>;
      try {
        parsed = RequestLineSchema.safeParse(JSON.parse(line));
      } catch {
        throw new HttpError(400, `line ${i + 1} is not JSON`);
      }
      if (!parsed.success) throw new HttpError(400, `line ${i + 1}: expected {custom_id, method: "POST", url: "${CHAT_URL}", body}: ${parsed.error.message}`);
      if (ids.has(parsed.data.custom_id)) throw new HttpError(400, `line ${i + 1}: custom_id ${JSON.stringify(parsed.data.custom_id)} is used twice`);
      ids.add(parsed.data.custom_id);
      return parsed.data;
    });
  }

  private create(body: unknown): StoredBatch {
    const parsed = CreateBatchSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `invalid batch: ${parsed.error.message}`);
    const input = this.file(parsed.data.input_file_id);
    if (!input.requests) throw new HttpError(400, `file ${input.id} is not a batch input`);
    const created = now();
    const batch: StoredBatch = {
      id: `batch_${randomUUID().replaceAll('-', '')}`,
      object: 'batch',
      endpoint: parsed.data.endpoint,
      input_file_id: input.id,
      completion_window: parsed.data.completion_window,
      status: 'in_progress',
      created_at: created,
      in_progress_at: created,
      expires_at: created + 24 * 3600,
      request_counts: { total: input.requests.length, completed: 0, failed: 0 },
      metadata: parsed.data.metadata ?? null,
    };
    this.batches.push(batch);
    this.stats.created++;
    const fault = this.faults.next();
    const timer = setTimeout(() => {
      this.timers.delete(batch.id);
      void this.run(batch, input.requests!, fault);
    }, this.completionDelayMs);
    // A server closed with batches still waiting must not be held open by them.
    timer.unref();
    this.timers.set(batch.id, timer);
    return batch;
  }

  private async run(batch: StoredBatch, requests: RequestLine[], fault: BatchFault | undefined): Promise<void> {
    if (batch.status !== 'in_progress') return;
    if (fault?.kind === 'failed') {
      this.end(batch, 'failed');
      batch.errors = { object: 'list', data: [{ code: 'server_error', message: 'The batch failed: injected fault.', line: null, param: null }] };
      return;
    }
    batch.status = 'finalizing';
    const outputs: string[] = [];
    const errors: string[] = [];
    const usage = { input: 0, output: 0 };
    for (const [i, request] of requests.entries()) {
      const id = `batch_req_${randomUUID().replaceAll('-', '')}`;
      if (fault?.kind === 'expired') {
        errors.push(JSON.stringify({ id, custom_id: request.custom_id, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
      } else if (fault?.kind === 'failLines' && Math.floor((i + 1) * fault.share) > Math.floor(i * fault.share)) {
        errors.push(errorLine(id, request.custom_id, 500, 'server_error', 'The server had an error while processing your request.'));
      } else {
        try {
          const body = await this.complete({ ...request.body, stream: undefined });
          usage.input += body.usage.prompt_tokens;
          usage.output += body.usage.completion_tokens;
          outputs.push(JSON.stringify({ id, custom_id: request.custom_id, response: { status_code: 200, request_id: `req_${randomUUID().replaceAll('-', '')}`, body }, error: null }));
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          errors.push(errorLine(id, request.custom_id, error.status, error.type, error.message));
        }
      }
    }
    // A batch cancelled while its lines were answered keeps nothing.
    if ((batch.status as BatchStatus) !== 'finalizing') return;
    batch.request_counts = { total: requests.length, completed: outputs.length, failed: errors.length };
    batch.usage = { input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.input + usage.output, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
    if (outputs.length) batch.output_file_id = this.storeOutput(batch, 'output', outputs);
    if (errors.length) batch.error_file_id = this.storeOutput(batch, 'error', errors);
    this.stats.linesAnswered += outputs.length;
    this.stats.linesFailed += errors.length;
    this.end(batch, fault?.kind === 'expired' ? 'expired' : 'completed');
  }

  private storeOutput(batch: StoredBatch, kind: 'output' | 'error', lines: string[]): string {
    const content = Buffer.from(`${lines.join('\n')}\n`);
    const id = `file-${randomUUID().replaceAll('-', '')}`;
    this.files.set(id, { id, object: 'file', bytes: content.length, created_at: now(), filename: `${batch.id}_${kind}.jsonl`, purpose: 'batch_output', status: 'processed', content });
    return id;
  }

  private end(batch: StoredBatch, status: 'completed' | 'failed' | 'expired' | 'cancelled'): void {
    batch.status = status;
    batch[`${status}_at`] = now();
    this.stats[status]++;
  }

  private list(query: Request['query']): { object: 'list'; data: StoredBatch[]; first_id: string | null; last_id: string | null; has_more: boolean } {
    const limit = Math.min(Math.max(Number(query.limit ?? 20) || 20, 1), 100);
    const newestFirst = [...this.batches].reverse();
    const after = typeof query.after === 'string' ? newestFirst.findIndex((b) => b.id === query.after) : -1;
    const data = newestFirst.slice(after + 1, after + 1 + limit);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: after + 1 + limit < newestFirst.length };
  }

  private batch(id: string): StoredBatch {
    const batch = this.batches.find((b) => b.id === id);
    if (!batch) throw new HttpError(404, `No batch found with id '${id}'.`);
    return batch;
  }

  /** A batch still running is cancelled with nothing answered; one that ended stays as it is. */
  private cancel(id: string): StoredBatch {
    const batch = this.batch(id);
    if (batch.status === 'in_progress' || batch.status === 'finalizing' || batch.status === 'validating') {
      clearTimeout(this.timers.get(id));
      this.timers.delete(id);
      batch.cancelling_at = now();
      this.end(batch, 'cancelled');
    }
    return batch;
  }

  private file(id: string): StoredFile {
    const file = this.files.get(id);
    if (!file) throw new HttpError(404, `No such File object: ${id}`);
    return file;
  }

  private tooLargeMessage(): string {
    return `a batch file is at most ${this.maxBytes} bytes`;
  }
}

function errorLine(id: string, customId: string, status: number, type: string, message: string): string {
  return JSON.stringify({ id, custom_id: customId, response: { status_code: status, request_id: `req_${randomUUID().replaceAll('-', '')}`, body: { error: { message, type, param: null, code: null } } }, error: null });
}

function publicFile({ content: _content, requests: _requests, ...file }: StoredFile) {
  return file;
}

function isTooLarge(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: string }).type === 'entity.too.large';
}
