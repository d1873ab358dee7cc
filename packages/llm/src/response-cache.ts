import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Tokens } from '@datashunt/contracts';

/** What is kept of one completion: enough to replay it without calling (and paying) again. */
export interface CachedCompletion {
  content: string;
  confidence: number | null;
  tokens: Tokens;
  /** The request that paid for it (ClassifyRequest.callKey), when it was named. */
  paidBy?: string;
  /** What it cost when paid at other than the manifest's synchronous price (a batch answer). */
  paidUsd?: number;
}

/** Everything that determines a completion; equal requests hash to the same entry. */
export interface CompletionRequestIdentity {
  baseURL: string;
  model: string;
  messages: unknown;
  params: Record<string, unknown>;
}

const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;

/** Completions cached in Redis by request hash, so a retried or replayed job never pays twice. */
export class ResponseCache {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {}

  static keyOf(request: CompletionRequestIdentity): string {
    return createHash('sha256').update(stableJson(request)).digest('hex');
  }

  async get(hash: string): Promise<CachedCompletion | null> {
    const raw = await this.redis.get(this.key(hash));
    return raw === null ? null : (JSON.parse(raw) as CachedCompletion);
  }

  async set(hash: string, completion: CachedCompletion): Promise<void> {
    await this.redis.set(this.key(hash), JSON.stringify(completion), 'EX', this.ttlSeconds);
  }

  /** Puts back an entry Redis lost; true for the one caller that did (others found it back already). */
  async restore(hash: string, completion: CachedCompletion): Promise<boolean> {
    return (await this.redis.set(this.key(hash), JSON.stringify(completion), 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  private key(hash: string): string {
    return `${this.prefix}llm-cache:${hash}`;
  }
}

/** JSON with object keys sorted, so property order never changes a hash. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
