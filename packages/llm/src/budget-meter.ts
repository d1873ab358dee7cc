import type { Redis } from 'ioredis';
import { toMicroUsd } from './cost.js';

// spent + reserved + estimate <= cap, checked and reserved in one step so concurrent workers cannot overshoot.
const RESERVE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if spent + reserved + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

const SETTLE = `
redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;

/**
 * A run's large-model spend, shared by every worker through Redis, in integer micro-dollars. A call
 * reserves its worst-case cost first and settles the actual cost after. A worker that dies between the
 * two leaves its reservation counted (the run stops slightly early rather than overspending).
 */
export class BudgetMeter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {}

  /** True when the estimate fits under the cap and is now reserved. */
  async reserve(runId: string, estimateUsd: number, capUsd: number): Promise<boolean> {
    const ok = await this.redis.eval(RESERVE, 1, this.key(runId), toMicroUsd(estimateUsd), toMicroUsd(capUsd), this.ttlSeconds);
    return ok === 1;
  }

  /** Releases a reservation and records what the call really cost (0 when it failed). */
  async settle(runId: string, reservedUsd: number, actualUsd: number): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.key(runId), toMicroUsd(reservedUsd), toMicroUsd(actualUsd), this.ttlSeconds);
  }

  async spent(runId: string): Promise<number> {
    return Number((await this.redis.hget(this.key(runId), 'spent')) ?? 0) / 1e6;
  }

  private key(runId: string): string {
    return `${this.prefix}llm-budget:${runId}`;
  }
}
