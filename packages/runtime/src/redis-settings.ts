import { isCluster, type RedisClient } from './connections.js';
import type { Logger } from './logger.js';

export type RedisSettingsCheck = { checked: true; problems: string[] } | { checked: false; reason: string };

/**
 * Whether Redis keeps the queues safe: with AOF off a restart loses every job and run state, and an
 * eviction policy other than noeviction may drop job keys under memory pressure. On a cluster every
 * master holds part of the state, so each is asked. CONFIG may be renamed or refused (managed Redis,
 * ACLs): then nothing is known, which is said rather than thrown.
 */
export async function checkRedisSettings(redis: RedisClient): Promise<RedisSettingsCheck> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  const problems: string[] = [];
  for (const server of servers) {
    const where = servers.length > 1 ? `${server.options.host}:${server.options.port} ` : '';
    let aof: string | undefined;
    let policy: string | undefined;
    try {
      aof = configValue(await server.call('CONFIG', 'GET', 'appendonly'));
      policy = configValue(await server.call('CONFIG', 'GET', 'maxmemory-policy'));
    } catch (error) {
      return { checked: false, reason: `${where}${(error as Error).message}` };
    }
    if (aof !== 'yes') problems.push(`${where}appendonly is "${aof ?? 'unknown'}" (a Redis restart loses queued jobs and run state: set appendonly yes)`);
    if (policy !== 'noeviction') problems.push(`${where}maxmemory-policy is "${policy ?? 'unknown'}" (Redis may evict job keys: set noeviction)`);
  }
  return { checked: true, problems };
}

/** Logs the outcome of checkRedisSettings as at most one line. */
export async function warnAboutRedisSettings(redis: RedisClient, target: string, logger: Logger): Promise<void> {
  const check = await checkRedisSettings(redis);
  if (!check.checked) {
    logger.warn({ redis: target, err: check.reason }, `could not check Redis persistence settings at ${target} (CONFIG GET: ${check.reason}); make sure appendonly is yes and maxmemory-policy is noeviction`);
  } else if (check.problems.length) {
    logger.warn({ redis: target, problems: check.problems }, `Redis at ${target} is not safe for the queues: ${check.problems.join('; ')}`);
  }
}

/** CONFIG GET answers [name, value], or [] for an unknown name. */
function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}
