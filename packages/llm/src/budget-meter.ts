import type { Redis } from 'ioredis';
import { toMicroUsd } from './cost.js';

// spent + possibly spent + reserved + estimate <= cap, checked and reserved in one step so concurrent
// workers cannot overshoot.
const RESERVE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local possibly = tonumber(redis.call('HGET', KEYS[1], 'possibly') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if spent + possibly + reserved + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

// ARGV[4]: paid (answered: spent += actual), possibly (no usable answer, but the provider may bill it:
// possibly += the reservation), unpaid (an error answer) or not-sent (the request never left).
const SETTLE = `
redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
local outcome = ARGV[4]
if outcome == 'paid' then
  redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'paidCalls', 1)
elseif outcome == 'possibly' then
  redis.call('HINCRBY', KEYS[1], 'possibly', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'possiblyCalls', 1)
end
if outcome ~= 'not-sent' then redis.call('HINCRBY', KEYS[1], 'sent', 1) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** How a sent request ended, for the money it may have cost. */
export type CallBilling = 'paid' | 'possibly' | 'unpaid' | 'not-sent';

/** A run's requests to the large model as the meter saw them, across all workers and retries. */
export interface RunSpend {
  sent: number;
  paidCalls: number;
  spentUsd: number;
  /** Requests that timed out or were cut off after sending: the provider may have billed them. */
  possiblyPaidCalls: number;
  possiblyPaidUsd: number;
}

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

  /**
   * Releases a reservation and records the call: its real cost when answered; when it may have been
   * billed without an answer, the reservation stays charged against the budget as possibly spent.
   */
  async settle(runId: string, reservedUsd: number, actualUsd: number, billing: CallBilling): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.key(runId), toMicroUsd(reservedUsd), toMicroUsd(actualUsd), this.ttlSeconds, billing);
  }

  async spent(runId: string): Promise<number> {
    return (await this.usage(runId)).spentUsd;
  }

  async usage(runId: string): Promise<RunSpend> {
    const h = await this.redis.hgetall(this.key(runId));
    const n = (field: string) => Number(h[field] ?? 0);
    return { sent: n('sent'), paidCalls: n('paidCalls'), spentUsd: n('spent') / 1e6, possiblyPaidCalls: n('possiblyCalls'), possiblyPaidUsd: n('possibly') / 1e6 };
  }

  private key(runId: string): string {
    return `${this.prefix}llm-budget:${runId}`;
  }
}
