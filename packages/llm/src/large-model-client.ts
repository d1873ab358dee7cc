import { randomUUID } from 'node:crypto';
import OpenAI, { APIConnectionError, AzureOpenAI } from 'openai';
import type { Cluster, Redis } from 'ioredis';
import { answerConfidence, estimatePromptTokens, estimateTextTokens, parseAnswer, type PromptMessage } from '@datashunt/algorithms';
import { requestParams, type EndpointCatalog, type LargeModelSpec, type LlmCallObservation, type LlmCallOutcome, type Tokens } from '@datashunt/contracts';
import { BudgetMeter, type CallAttempt, type CallBilling } from './budget-meter.js';
import { costUsd, estimateCallUsd } from './cost.js';
import { LlmError, PermanentLlmError, PossiblyBilledLlmError, toLlmError, TransientLlmError } from './errors.js';
import { ResponseCache, type CachedCompletion } from './response-cache.js';

export interface LargeModelClientOptions {
  /** The operator's endpoints; a request goes to the one its spec names, with that endpoint's key only. */
  endpoints: EndpointCatalog;
  apiKeyOf: (endpoint: string) => string;
  redis: Redis | Cluster;
  /** Prefix of every Redis key this client writes (cache and budget). */
  keyPrefix?: string;
  timeoutMs?: number;
  cacheTtlSeconds?: number;
  /** Told of every completion (cache hit, answer or failure), for metrics; it must not throw. */
  observe?: (observation: LlmCallObservation) => void;
}

/** A prompt as built by buildPrompt, or one with a retry's assistant/user turns appended. */
export type ChatMessage = PromptMessage | { role: 'assistant'; content: string };

export interface ClassifyRequest {
  manifestLargeModel: LargeModelSpec;
  prompt: ChatMessage[];
  allowedLabels: string[];
  runId: string;
  /** The run's cap (manifest budgetUsd); a call that could exceed it is not made. */
  budgetUsd: number;
  /**
   * Runs before each request that is really sent (not for cache hits), with the request's estimated
   * tokens: where the caller waits for a rate-limit slot, so replays answered from the cache never spend one.
   */
  beforeCall?: (estimatedTokens: number) => Promise<void>;
  /**
   * A durable record of the run's paid answers (S3), consulted when the response cache has none and
   * written as soon as an answer is paid: after Redis loses the cache, a rerun finds them here.
   */
  answerLog?: AnswerLog;
  /**
   * Names this row's request across retries of its job (the job id). While a request is sent and
   * unsettled a marker says so, and a retry that finds one (its worker died mid-request, after the
   * provider may have billed it) counts that request as possibly paid. An answer is stored with the
   * key that paid for it, so a retry that reuses it still puts its cost on the row.
   */
  callKey?: string;
}

/** Paid completions by request hash, kept beside the run rather than in Redis. */
export interface AnswerLog {
  get(hash: string): Promise<CachedCompletion | undefined>;
  put(hash: string, completion: CachedCompletion): Promise<void>;
}

export type ClassifyOutcome =
  | { kind: 'answer'; label: string; confidence: number | null; tokens: Tokens; costUsd: number; cached: boolean; requestId?: string }
  | { kind: 'unresolved'; raw: string; tokens: Tokens; costUsd: number; cached: boolean }
  | { kind: 'over_budget' };

export interface Completion extends CachedCompletion {
  cached: boolean;
  costUsd: number;
  requestId?: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_KEY_PREFIX = 'ds:';
const TOP_LOGPROBS = 5;
/** How much of an off-label answer is quoted back in the reminder. */
const QUOTED_ANSWER_CHARS = 200;

/**
 * Asks an OpenAI-compatible large model to pick one label. Every completion goes through the response
 * cache (a replay costs nothing) and the run's budget (reserve the worst case, settle the actual cost).
 * The SDK does not retry: retries, backoff and 429 pauses belong to the queue.
 */
export class LargeModelClient {
  readonly budget: BudgetMeter;
  private readonly cache: ResponseCache;
  private readonly clients = new Map<string, { openai: OpenAI; apiKey: string }>();

  constructor(private readonly options: LargeModelClientOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.cache = new ResponseCache(options.redis, prefix, options.cacheTtlSeconds);
    this.budget = new BudgetMeter(options.redis, prefix);
  }


  /** One answer, or after an off-label answer one stricter retry (both metered), else unresolved. */
  async classify(request: ClassifyRequest): Promise<ClassifyOutcome> {
    const first = await this.complete(request, request.prompt);
    if (!first) return { kind: 'over_budget' };
    const firstLabel = parseAnswer(first.content, request.allowedLabels);
    if (firstLabel !== null) return answerOutcome(firstLabel, [first]);

    const reminder = stricterReminder(first.content, request.allowedLabels);
    const retry = await this.complete(request, [...request.prompt, { role: 'assistant', content: first.content }, reminder]);
    const attempts = retry ? [first, retry] : [first];
    const retryLabel = retry ? parseAnswer(retry.content, request.allowedLabels) : null;
    if (retryLabel !== null) return answerOutcome(retryLabel, attempts);
    const { tokens, costUsd } = metered(attempts);
    return { kind: 'unresolved', raw: attempts[attempts.length - 1]!.content, tokens, costUsd, cached: attempts.every((a) => a.cached) };
  }

  /** One completion, from the cache or paid for; null when the budget cannot cover it. */
  private async complete(request: ClassifyRequest, messages: ChatMessage[]): Promise<Completion | null> {
    const spec = request.manifestLargeModel;
    const { hash, params } = this.requestOf(spec, messages);
    const attempt: CallAttempt | undefined = request.callKey ? { key: `${request.callKey}:${hash}`, token: randomUUID() } : undefined;
    const known = await this.known(request, hash);
    if (known) return known;

    const { openai, apiKey } = this.client(spec.endpoint);
    await request.beforeCall?.(estimatePromptTokens(messages) + spec.maxOutputTokens);
    const reservedUsd = estimateCallUsd(messages, spec);
    if (!(await this.budget.reserve(request.runId, reservedUsd, request.budgetUsd, attempt))) return null;
    let completion: CachedCompletion;
    let requestId: string | undefined;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    try {
      const { data, request_id } = await openai.chat.completions.create({ model: spec.model, messages, ...params }).withResponse();
      completion = { ...readCompletion(data, messages), ...(request.callKey ? { paidBy: request.callKey } : {}) };
      requestId = request_id ?? undefined;
    } catch (error) {
      const mapped = toLlmError(error, apiKey, performance.now() - started >= timeoutMs);
      this.options.observe?.({ model: spec.model, outcome: outcomeOf(error, mapped), latencySeconds: (performance.now() - started) / 1000 });
      await this.budget.settle(request.runId, reservedUsd, 0, billingOf(mapped), attempt);
      throw mapped;
    }
    // Cached and metered before anything else can fail: a paid answer is never asked for twice, and
    // always counted. Should the answer log's write fail (an S3 outage), the retry finds the cache.
    await this.cache.set(hash, completion);
    const paidUsd = costUsd(completion.tokens, spec.pricing);
    this.options.observe?.({ model: spec.model, outcome: 'ok', latencySeconds: (performance.now() - started) / 1000, tokens: completion.tokens, costUsd: paidUsd });
    await this.budget.settle(request.runId, reservedUsd, paidUsd, 'paid', attempt);
    await request.answerLog?.put(hash, completion);
    return { ...completion, cached: false, costUsd: paidUsd, ...(requestId ? { requestId } : {}) };
  }

  /** The request body of a completion (model, messages, parameters) and its cache hash. */
  requestOf(spec: LargeModelSpec, messages: ChatMessage[]): { hash: string; params: Record<string, number | boolean>; body: Record<string, unknown> } {
    const endpoint = this.endpoint(spec.endpoint);
    const params = requestParams(endpoint.request, spec, TOP_LOGPROBS);
    return { hash: ResponseCache.keyOf({ baseURL: endpoint.baseURL, model: spec.model, messages, params }), params, body: { model: spec.model, messages, ...params } };
  }

  /** A completion already paid for (response cache, else the run's answer log), reused; null when there is none. */
  async known(request: Pick<ClassifyRequest, 'manifestLargeModel' | 'runId' | 'answerLog' | 'callKey'>, hash: string): Promise<Completion | null> {
    const hit = await this.cache.get(hash);
    const found = hit ?? (await request.answerLog?.get(hash));
    if (!found) return null;
    if (request.callKey) await this.budget.adoptOrphan(request.runId, `${request.callKey}:${hash}`);
    this.options.observe?.({ model: request.manifestLargeModel.model, outcome: 'cached' });
    return this.reuse(request, hash, found, hit !== null);
  }

  /** Keeps an answer paid for outside `classify` (a batch line): cached, metered, logged, in that order as there. */
  async keepPaid(request: Pick<ClassifyRequest, 'runId' | 'answerLog'>, hash: string, completion: CachedCompletion & { paidUsd: number }, reservedUsd: number, attempt: CallAttempt): Promise<void> {
    await this.cache.set(hash, completion);
    await this.budget.settle(request.runId, reservedUsd, completion.paidUsd, 'paid', attempt);
    await request.answerLog?.put(hash, completion);
  }

  /**
   * An answer already paid for, reused without a call. One found in the run's own answer log but not
   * in the cache was forgotten by Redis along with the meter's count of it (a restart without
   * persistence): whoever puts it back in the cache counts it again. One paid for by an earlier
   * attempt of this very request (its job failed or died after paying) is no saving: the row carries
   * the cost it paid, so the rows add up to what the meter counted. Any other is cached, at no cost.
   */
  private async reuse(request: Pick<ClassifyRequest, 'manifestLargeModel' | 'runId' | 'callKey'>, hash: string, found: CachedCompletion, fromCache: boolean): Promise<Completion> {
    const paidUsd = found.paidUsd ?? costUsd(found.tokens, request.manifestLargeModel.pricing);
    if (!fromCache && (await this.cache.restore(hash, found))) await this.budget.recountPaid(request.runId, paidUsd);
    const own = request.callKey !== undefined && found.paidBy === request.callKey;
    return own ? { ...found, cached: false, costUsd: paidUsd } : { ...found, cached: true, costUsd: 0 };
  }

  private endpoint(name: string) {
    const endpoint = this.options.endpoints[name];
    // Ingest refuses such manifests; this guards a snapshot written before the operator removed the endpoint.
    if (!endpoint) throw new PermanentLlmError(`endpoint "${name}" is not declared by the operator`);
    return endpoint;
  }

  /** One SDK client per endpoint, built with that endpoint's own key, headers and flavour. */
  client(name: string): { openai: OpenAI; apiKey: string } {
    let client = this.clients.get(name);
    if (!client) {
      const endpoint = this.endpoint(name);
      let apiKey: string;
      try {
        apiKey = this.options.apiKeyOf(name);
      } catch (error) {
        throw new PermanentLlmError((error as Error).message);
      }
      const common = { apiKey, maxRetries: 0, timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, defaultHeaders: endpoint.headers };
      const openai = endpoint.azure
        ? new AzureOpenAI({ ...common, endpoint: endpoint.baseURL, apiVersion: endpoint.azure.apiVersion })
        : new OpenAI({ ...common, baseURL: endpoint.baseURL });
      client = { openai, apiKey };
      this.clients.set(name, client);
    }
    return client;
  }
}

/** The failure classes an operator alerts on: a response that arrived but could not be read is unparseable. */
function outcomeOf(raw: unknown, mapped: unknown): LlmCallOutcome {
  if (!(mapped instanceof LlmError)) return 'error';
  if (mapped.status === 429) return '429';
  if (mapped.status !== undefined && mapped.status >= 500) return '5xx';
  if (mapped instanceof PossiblyBilledLlmError) return mapped.timedOut ? 'timeout' : raw instanceof APIConnectionError ? 'error' : 'unparseable';
  return 'error';
}

function billingOf(error: unknown): CallBilling {
  if (error instanceof PossiblyBilledLlmError) return 'possibly';
  if (error instanceof LlmError) return error instanceof TransientLlmError && error.status === undefined ? 'not-sent' : 'unpaid';
  return 'unpaid';
}

/** Checks the shape the SDK does not (it returns whatever a 200 holds); usage falls back to estimates. */
export function readCompletion(data: unknown, messages: ChatMessage[]): CachedCompletion {
  const completion = data as Partial<OpenAI.ChatCompletion> | null;
  const choice = Array.isArray(completion?.choices) ? completion.choices[0] : undefined;
  if (!choice?.message) throw new PossiblyBilledLlmError('large model sent a response without choices', false);
  const content = choice.message.content ?? '';
  const usage = completion!.usage;
  return {
    content,
    confidence: answerConfidence(choice.logprobs?.content),
    tokens: {
      input: usage?.prompt_tokens ?? estimatePromptTokens(messages),
      output: usage?.completion_tokens ?? estimateTextTokens(content),
    },
  };
}

function stricterReminder(answer: string, allowedLabels: string[]): ChatMessage {
  const quoted = JSON.stringify(answer.slice(0, QUOTED_ANSWER_CHARS));
  return {
    role: 'user',
    content: `Your answer ${quoted} is not one of the allowed labels. Reply with exactly one of ${JSON.stringify(allowedLabels)}, copied exactly, with no other words.`,
  };
}

function metered(attempts: Completion[]): { tokens: Tokens; costUsd: number } {
  return {
    tokens: {
      input: attempts.reduce((sum, a) => sum + a.tokens.input, 0),
      output: attempts.reduce((sum, a) => sum + a.tokens.output, 0),
    },
    costUsd: attempts.reduce((sum, a) => sum + a.costUsd, 0),
  };
}

/** The answering attempt gives label and confidence; tokens and cost add up every attempt. */
function answerOutcome(label: string, attempts: Completion[]): ClassifyOutcome {
  const last = attempts[attempts.length - 1]!;
  return {
    kind: 'answer',
    label,
    confidence: last.confidence,
    ...metered(attempts),
    cached: attempts.every((a) => a.cached),
    ...(last.requestId ? { requestId: last.requestId } : {}),
  };
}
