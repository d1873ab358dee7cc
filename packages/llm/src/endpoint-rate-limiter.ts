import type { Cluster, Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

// GCRA with queueing: one theoretical arrival time (TAT) per key, and every caller books the next
// slot rather than retrying for one, so concurrent workers never collide. Redis' clock is the only
// clock, so workers on different hosts agree. A booking further away than max_wait is not made:
// the caller gets -(ms until a slot could be had) and gives its worker slot back meanwhile.
const RESERVE = new LuaScript(`
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now
if wait > max_wait then return -math.ceil(wait) end
local next_tat = tat + interval * cost
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return math.ceil(wait)`);

export type Booking = { booked: true; waitMs: number } | { booked: false; retryInMs: number };

/**
 * Units per minute (requests, or tokens) for one key, across all workers. Keys are an endpoint's
 * ceiling or one run's own lower limit, so a run that asks for little only slows itself.
 */
export class EndpointRateLimiter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** Books `cost` units if the slot is at most `maxWaitMs` away. */
  async reserve(key: string, perMinute: number, options: { cost?: number; maxWaitMs: number }): Promise<Booking> {
    const result = Number(await RESERVE.run(this.redis, [this.key(key)], [60_000 / perMinute, options.cost ?? 1, options.maxWaitMs]));
    return result >= 0 ? { booked: true, waitMs: result } : { booked: false, retryInMs: -result };
  }

  private key(key: string): string {
    return `${this.prefix}llm-rate:${key}`;
  }
}

/** Thrown when a slot is further away than the caller may wait: the job is delayed until then instead. */
export class RateDeferredError extends Error {
  override name = 'RateDeferredError';
  constructor(readonly retryInMs: number) {
    super(`rate limit: next slot in ${retryInMs} ms`);
  }
}
