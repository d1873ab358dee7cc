import type { Redis } from 'ioredis';

// GCRA: one theoretical arrival time per endpoint; Redis' clock is the only clock, so workers on
// different hosts agree. Returns 0 (and books the slot) or the milliseconds until a slot frees.
const TAKE = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return math.ceil(wait) end
local next_tat = tat + interval
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return 0`;

/**
 * Requests per minute to one large-model endpoint, across all workers. `burst` calls may go back to back
 * before the steady 60000/rpm ms spacing applies.
 */
export class EndpointRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** 0 when this call may go now, else how many ms to wait (for BullMQ's worker.rateLimit). */
  async take(endpointKey: string, rpm: number, burst = 1): Promise<number> {
    const interval = 60_000 / rpm;
    const wait = await this.redis.eval(TAKE, 1, this.key(endpointKey), interval, interval * (burst - 1));
    return Number(wait);
  }

  private key(endpointKey: string): string {
    return `${this.prefix}llm-rate:${endpointKey}`;
  }
}
