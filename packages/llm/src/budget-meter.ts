import type { Cluster, Redis } from 'ioredis';
import { toMicroUsd } from './cost.js';
import { LuaScript } from './lua-script.js';

// With a sent marker (KEYS[2], "token:reserved" while in flight, "settled:token" after) and the set
// of attempts counted as possibly billed by a later one (KEYS[3]): a marker still in flight when the
// same request is made again was left by an attempt whose worker died mid-request (the provider may
// have billed it, nobody recorded it), so its reservation becomes possibly spent.
const ADOPT_ORPHAN = `
local function adoptOrphan(ttl, orphan)
  if not orphan or string.sub(orphan, 1, 8) == 'settled:' then return end
  local token, amount = string.match(orphan, '^(.*):(%d+)$')
  redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(amount))
  redis.call('HINCRBY', KEYS[1], 'possibly', amount)
  redis.call('HINCRBY', KEYS[1], 'possiblyCalls', 1)
  redis.call('HINCRBY', KEYS[1], 'sent', 1)
  redis.call('DEL', KEYS[2])
  redis.call('SADD', KEYS[3], token)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
end`;

// spent + possibly spent + reserved + estimate <= cap, checked and reserved in one step so concurrent
// workers cannot overshoot; the sent marker is written in the same step. A reservation that finds its
// own marker is this one sent again (the client resends a command whose reply a dropped connection lost).
const RESERVE = new LuaScript(`${ADOPT_ORPHAN}
if #KEYS == 3 then
  local marker = redis.call('GET', KEYS[2])
  if marker == ARGV[4] .. ':' .. ARGV[1] then return 1 end
  adoptOrphan(ARGV[3], marker)
end
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local possibly = tonumber(redis.call('HGET', KEYS[1], 'possibly') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if spent + possibly + reserved + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if #KEYS == 3 then redis.call('SET', KEYS[2], ARGV[4] .. ':' .. ARGV[1], 'EX', ARGV[3]) end
return 1`);

const ADOPT = new LuaScript(`${ADOPT_ORPHAN}
adoptOrphan(ARGV[1], redis.call('GET', KEYS[2]))
return 1`);

// ARGV[4]: paid (answered: spent += actual), possibly (no usable answer, but the provider may bill it:
// possibly += the reservation), unpaid (an error answer) or not-sent (the request never left).
// A named attempt (ARGV[5], its token) is settled once: its marker (or, when a later attempt already
// counted it as possibly billed, its entry in KEYS[3]) says so, and the same settle sent again changes
// nothing. One a later attempt counted takes that count back and records what really happened. One
// without a marker lost it with Redis's data (no persistence), its reservation too: nothing to release.
const SETTLE = new LuaScript(`
local release = #KEYS < 3
if not release then
  local marker = redis.call('GET', KEYS[2])
  local settled = 'settled:' .. ARGV[5]
  if marker == settled or redis.call('SISMEMBER', KEYS[3], settled) == 1 then return 0 end
  if marker == ARGV[5] .. ':' .. ARGV[1] then
    redis.call('SET', KEYS[2], settled, 'EX', ARGV[6])
    release = true
  elseif redis.call('SREM', KEYS[3], ARGV[5]) == 1 then
    redis.call('SADD', KEYS[3], settled)
    redis.call('HINCRBY', KEYS[1], 'possibly', -tonumber(ARGV[1]))
    redis.call('HINCRBY', KEYS[1], 'possiblyCalls', -1)
    redis.call('HINCRBY', KEYS[1], 'sent', -1)
  end
end
if release then redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1])) end
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
return 1`);

/** How a sent request ended, for the money it may have cost. */
export type CallBilling = 'paid' | 'possibly' | 'unpaid' | 'not-sent';

/**
 * One attempt at one request, for the sent marker: `key` names the request across attempts (the
 * row's job and the request's hash), `token` this attempt.
 */
export interface CallAttempt {
  key: string;
  token: string;
}

/** A run's requests to the large model as the meter saw them, across all workers and retries. */
export interface RunSpend {
  sent: number;
  paidCalls: number;
  spentUsd: number;
  /** Requests that timed out, were cut off, or were in flight when their worker died: the provider may have billed them. */
  possiblyPaidCalls: number;
  possiblyPaidUsd: number;
}

const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;
/** How long a settled attempt's marker stays: long enough for a resend after a dropped connection. */
const SETTLED_TTL_SECONDS = 3600;

/**
 * A run's large-model spend, shared by every worker through Redis, in integer micro-dollars. A call
 * reserves its worst-case cost first and settles the actual cost after. An attempt named by a
 * CallAttempt leaves a sent marker between the two, so a worker that dies in between has its request
 * counted as possibly billed when the request is made again, and its reservation and settle count
 * once even when ioredis sends them again after a dropped connection (it resends commands whose
 * reply was lost, which Redis may already have run); one without leaves its reservation counted (the
 * run stops slightly early rather than overspending).
 */
export class BudgetMeter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {}

  /** True when the estimate fits under the cap and is now reserved. */
  async reserve(runId: string, estimateUsd: number, capUsd: number, attempt?: CallAttempt): Promise<boolean> {
    const keys = this.keys(runId, attempt);
    const ok = await RESERVE.run(this.redis, keys, [toMicroUsd(estimateUsd), toMicroUsd(capUsd), this.ttlSeconds, attempt?.token ?? '']);
    return ok === 1;
  }

  /** For a request answered without a call (from the cache): counts an earlier attempt left in flight by a dead worker. */
  async adoptOrphan(runId: string, callKey: string): Promise<void> {
    const keys = this.keys(runId, { key: callKey, token: '' });
    await ADOPT.run(this.redis, keys, [this.ttlSeconds]);
  }

  /** Counts again a call paid before Redis forgot the run's spend (a restart without persistence). */
  async recountPaid(runId: string, paidUsd: number): Promise<void> {
    const key = this.key(runId);
    await this.redis.multi().hincrby(key, 'spent', toMicroUsd(paidUsd)).hincrby(key, 'paidCalls', 1).hincrby(key, 'sent', 1).expire(key, this.ttlSeconds).exec();
  }

  /**
   * Releases a reservation and records the call: its real cost when answered; when it may have been
   * billed without an answer, the reservation stays charged against the budget as possibly spent.
   */
  async settle(runId: string, reservedUsd: number, actualUsd: number, billing: CallBilling, attempt?: CallAttempt): Promise<void> {
    const keys = this.keys(runId, attempt);
    await SETTLE.run(this.redis, keys, [toMicroUsd(reservedUsd), toMicroUsd(actualUsd), this.ttlSeconds, billing, attempt?.token ?? '', SETTLED_TTL_SECONDS]);
  }

  async spent(runId: string): Promise<number> {
    return (await this.usage(runId)).spentUsd;
  }

  async usage(runId: string): Promise<RunSpend> {
    const h = await this.redis.hgetall(this.key(runId));
    const n = (field: string) => Number(h[field] ?? 0);
    return { sent: n('sent'), paidCalls: n('paidCalls'), spentUsd: n('spent') / 1e6, possiblyPaidCalls: n('possiblyCalls'), possiblyPaidUsd: n('possibly') / 1e6 };
  }

  /** The run id is the keys' hash tag: a script's keys share one Redis Cluster slot, and runs spread over slots. */
  private key(runId: string): string {
    return `${this.prefix}llm-budget:{${runId}}`;
  }

  /** The budget hash, then (for a named attempt) the request's sent marker and its adopted-attempts set. */
  private keys(runId: string, attempt: CallAttempt | undefined): string[] {
    if (!attempt) return [this.key(runId)];
    const sent = `${this.prefix}llm-sent:{${runId}}:${attempt.key}`;
    return [this.key(runId), sent, `${sent}:adopted`];
  }
}
