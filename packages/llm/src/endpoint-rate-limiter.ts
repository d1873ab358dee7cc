import type { Redis } from 'ioredis';

// GCRA with queueing: one theoretical arrival time per endpoint, and every caller books the next
// slot rather than retrying for one, so concurrent workers never collide. Redis' clock is the only
// clock, so workers on different hosts agree. Returns the milliseconds until the booked slot.
const RESERVE = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return math.ceil(wait)`;

/**
 * Requests per minute to one large-model endpoint, across all workers. `burst` calls may go back to back
 * before the steady 60000/rpm ms spacing applies.
 */
export class EndpointRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Books the endpoint's next free slot; resolves to how many ms from now that slot is (0: go now). */
  async reserve(endpointKey: string, rpm: number, burst = 1): Promise<number> {
    const interval = 60_000 / rpm;
    return Number(await this.redis.eval(RESERVE, 1, this.key(endpointKey), interval, interval * (burst - 1)));
  }

  private key(endpointKey: string): string {
    return `${this.prefix}llm-rate:${endpointKey}`;
  }
}
