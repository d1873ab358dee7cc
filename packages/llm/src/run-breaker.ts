import type { Cluster, Redis } from 'ioredis';
import { LlmError, PermanentLlmError, UNSUPPORTED_PARAMETER } from './errors.js';

const TTL_SECONDS = 30 * 24 * 3600;

/**
 * A per-run circuit breaker: once the endpoint answers in a way no retry can fix (a bad key, no such
 * model, a parameter the model rejects), the run stops calling it, its remaining hard rows fall back
 * at no cost, and finalize fails the run with the provider's message.
 */
export class RunBreaker {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** Whether an error means the whole run cannot be served by this endpoint, rather than this one row. */
  static isFatal(error: unknown): error is LlmError {
    if (!(error instanceof PermanentLlmError)) return false;
    if (error.status === undefined) return true; // an undeclared endpoint or a missing key
    if ([401, 403, 404].includes(error.status)) return true;
    return error.status === 400 && UNSUPPORTED_PARAMETER.test(error.message);
  }

  /** Records the first fatal message; later ones keep it. */
  async trip(runId: string, message: string): Promise<void> {
    await this.redis.set(this.key(runId), message, 'EX', TTL_SECONDS, 'NX');
  }

  /** A resumed run may call again (the operator fixed the key or the model). */
  async reset(runId: string): Promise<void> {
    await this.redis.del(this.key(runId));
  }

  /** The message that stopped the run, or null while it may call. */
  tripped(runId: string): Promise<string | null> {
    return this.redis.get(this.key(runId));
  }

  private key(runId: string): string {
    return `${this.prefix}run-breaker:${runId}`;
  }
}
