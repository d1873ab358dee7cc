import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { decodePngDataUrl, estimatePromptTokens, parsePrompt } from '@datashunt/algorithms';
import { BatchApi, type BatchApiOptions, type BatchStats } from './batch-api.js';
import { chatCompletionBody, labelAnswer, textAnswer, type Answer } from './chat-completion.js';
import { faultFromHeader, FaultPlanSchema, FaultQueue, type Fault, type FaultKind } from './faults.js';
import { HttpError } from './http-error.js';
import { drawLatencyMs, PacingSchema, RequestCeiling, type Pacing } from './pacing.js';
import { ChatRequestSchema } from './request-schema.js';
import { allowedLabelProbabilities, type StandInInput, type StandInModel } from './stand-in-model.js';
import { StandInRegistry } from './stand-in-registry.js';

export interface ReferenceLlmOptions {
  /** Directory of stand-in JSON files (one per task). */
  modelsDir?: string;
  /** Stand-ins held in memory, in addition to the directory's. */
  standIns?: StandInModel[];
  /** The only key accepted, as a provider accepts only keys it issued (401 for others); unset: any key. */
  apiKey?: string;
  /** The batch interface's completion delay and per-file limits. */
  batch?: BatchApiOptions;
  /** Latency per completion and a request ceiling, as a hosted model has; unset: answers at once, no ceiling. */
  pacing?: Pacing;
}

export interface ReferenceLlmStats {
  /** Completion requests received, faulted or not. */
  requests: number;
  /** Requests refused for a missing or unknown key (401), before they count as requests. */
  unauthorized: number;
  /** Completions answered by a stand-in. */
  completions: number;
  faults: Record<FaultKind, number>;
  /** Requests refused by the pacing ceiling (429), counted apart from injected faults. */
  overCeiling: number;
  /** Requests per requested model name. */
  models: Record<string, number>;
  /** Completions per stand-in that answered. */
  standIns: Record<string, number>;
  batches: BatchStats;
}

const NONSENSE = 'I am not sure what this is, it could be several things.';
const NONSENSE_P = 0.5;
/** Cut off mid-object, as a proxy dropping the connection would leave it. */
const MALFORMED_BODY = '{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assis';
const PROMPT_FORMAT_HINT =
  'the first user message must hold a line `Allowed labels: <JSON array of strings>`, and the input after a line `Input:` (text) or as an image_url part (PNG data URL)';

/** An OpenAI-compatible server answering from small stand-in models; see README.md for what it is. */
export function createReferenceLlmApp(options: ReferenceLlmOptions = {}): express.Express {
  const registry = new StandInRegistry(options.modelsDir, options.standIns);
  const faults = new FaultQueue();
  let pacing = pacingState(options.pacing ?? {});
  const stats: Omit<ReferenceLlmStats, 'batches'> = { requests: 0, unauthorized: 0, completions: 0, overCeiling: 0, faults: { '429': 0, '500': 0, slow: 0, malformed: 0, nonsense: 0 }, models: {}, standIns: {} };

  /** A chat completion body for a request, answered by a stand-in (or the nonsense fault's text). */
  const complete = async (body: unknown, fault?: Fault) => {
    const parsed = ChatRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `invalid chat.completions request: ${parsed.error.message}`);
    const request = parsed.data;
    stats.models[request.model] = (stats.models[request.model] ?? 0) + 1;
    const answer = fault?.kind === 'nonsense' ? textAnswer(NONSENSE, NONSENSE_P) : await answerFromStandIn(registry, request.messages, stats);
    stats.completions++;
    return chatCompletionBody(
      {
        model: request.model,
        logprobs: request.logprobs ?? false,
        topLogprobs: request.top_logprobs ?? 0,
        maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
        promptTokens: estimatePromptTokens(request.messages),
      },
      answer,
    );
  };
  const batches = new BatchApi((body) => complete(body), options.batch);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '10mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.post('/admin/faults', (req, res) => {
    const plan = FaultPlanSchema.safeParse(req.body);
    if (!plan.success) throw new HttpError(400, `invalid fault plan: ${plan.error.message}`);
    faults.add(plan.data.faults);
    res.json({ pending: faults.remaining() });
  });
  app.delete('/admin/faults', (_req, res) => {
    faults.clear();
    res.json({ pending: [] });
  });
  app.get('/admin/stats', (_req, res) => {
    res.json({ ...stats, batches: batches.stats, pendingFaults: faults.remaining(), pendingBatchFaults: batches.faults.remaining() });
  });
  app.use('/admin/batch', batches.adminRouter());
  app.put('/admin/pacing', (req, res) => {
    const parsed = PacingSchema.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, `invalid pacing: ${parsed.error.message}`);
    pacing = pacingState(parsed.data);
    res.json(pacing.settings);
  });

  app.use('/v1', requireBearerKey(options.apiKey, () => stats.unauthorized++));
  app.get('/v1/models', async (_req, res) => {
    await registry.load();
    const created = Math.floor(Date.now() / 1000);
    res.json({ object: 'list', data: registry.all().map((m) => ({ id: `reference-${m.name}`, object: 'model', created, owned_by: 'datashunt-reference' })) });
  });

  app.post('/v1/chat/completions', async (req, res) => {
    stats.requests++;
    const header = req.get('x-reference-fault');
    const fault = header ? parseFaultHeader(header) : faults.next();
    if (fault) stats.faults[fault.kind]++;
    const retryInMs = pacing.ceiling?.take() ?? 0;
    if (retryInMs > 0) {
      stats.overCeiling++;
      res.set('retry-after', String(Math.ceil(retryInMs / 1000)));
      throw new HttpError(429, 'Rate limit reached for requests. Please try again later.', 'rate_limit_exceeded');
    }
    if (fault?.kind === '429') {
      res.set('retry-after', String(fault.retryAfterSeconds));
      throw new HttpError(429, 'Rate limit reached for requests. Please try again later.', 'rate_limit_exceeded');
    }
    if (fault?.kind === '500') throw new HttpError(500, 'The server had an error while processing your request.', 'server_error');
    if (fault?.kind === 'malformed') {
      res.status(200).type('application/json').send(MALFORMED_BODY);
      return;
    }
    const delayMs = (fault?.kind === 'slow' ? fault.delayMs : 0) + drawLatencyMs(pacing.settings.latencyMs);
    if (delayMs > 0 && !(await delayUnlessClosed(delayMs, res))) return;

    const body = await complete(req.body, fault);
    res.set('x-request-id', `req_${randomUUID().replaceAll('-', '')}`);
    res.json(body);
  });
  app.use('/v1', batches.router());

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof HttpError ? error.status : isBodyParseError(error) ? 400 : 500;
    const type = error instanceof HttpError ? error.type : status === 400 ? 'invalid_request_error' : 'server_error';
    const message = error instanceof Error ? error.message : String(error);
    res.status(status).json({ error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } });
  });
  return app;
}

async function answerFromStandIn(registry: StandInRegistry, messages: Parameters<typeof parsePrompt>[0], stats: Pick<ReferenceLlmStats, 'standIns'>): Promise<Answer> {
  const prompt = parsePrompt(messages);
  if (!prompt) throw new HttpError(400, `could not read the allowed labels: ${PROMPT_FORMAT_HINT}`);
  const input = toStandInInput(prompt.input);
  const standIn = await registry.find(input.kind, prompt.allowedLabels);
  if (!standIn) throw new HttpError(400, `no stand-in model knows the labels ${JSON.stringify(prompt.allowedLabels)} for ${input.kind} inputs`);
  stats.standIns[standIn.name] = (stats.standIns[standIn.name] ?? 0) + 1;
  return labelAnswer(allowedLabelProbabilities(standIn, input, prompt.allowedLabels));
}

function toStandInInput(input: NonNullable<ReturnType<typeof parsePrompt>>['input']): StandInInput {
  if (input.kind === 'text') return input;
  try {
    return { kind: 'image', image: decodePngDataUrl(input.dataUrl) };
  } catch (error) {
    throw new HttpError(400, `could not read the image: ${(error as Error).message}`);
  }
}

/** Like a real provider: no key is refused, and so is a key it did not issue. The key is never logged or kept. */
function requireBearerKey(accepted: string | undefined, onRefused: () => void) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const match = /^Bearer\s+(\S+)/i.exec(req.get('authorization') ?? '');
    const problem = !match ? 'You did not provide an API key. Send it as an Authorization: Bearer header.' : accepted !== undefined && match[1] !== accepted ? 'Incorrect API key provided.' : undefined;
    if (problem) {
      onRefused();
      throw new HttpError(401, problem);
    }
    next();
  };
}

function pacingState(settings: Pacing): { settings: Pacing; ceiling?: RequestCeiling } {
  return settings.maxRequestsPerMinute ? { settings, ceiling: new RequestCeiling(settings.maxRequestsPerMinute) } : { settings };
}

function parseFaultHeader(value: string): Fault {
  try {
    return faultFromHeader(value);
  } catch {
    throw new HttpError(400, `invalid x-reference-fault header ${JSON.stringify(value)}: expected 429[:seconds], 500, slow:<ms>, malformed or nonsense`);
  }
}

/** Waits, but stops early (false) if the client hangs up, so a timed-out caller leaves no timer behind. */
function delayUnlessClosed(ms: number, res: Response): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

function isBodyParseError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: string }).type === 'entity.parse.failed';
}
