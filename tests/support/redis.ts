import { createRedis, isCluster, RedisTargetSchema, type RedisClient } from '@datashunt/runtime';

/** A client of the Redis the tests run against: REDIS_URL as the services parse it (scripts/run-tests.mjs may point it at a cluster). */
export function connectTestRedis(): RedisClient {
  return createRedis(RedisTargetSchema.parse(process.env.REDIS_URL || 'redis://127.0.0.1:6379'), 'worker');
}

/** Keys matching a pattern on every master (a cluster's SCAN sees only the node it reaches). */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes keys one by one: a multi-key DEL on a cluster must not span slots. */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  for (const key of await keysMatching(redis, pattern)) await redis.unlink(key);
}

/** The port of the server holding a key: the one Redis, or the cluster master serving the key's slot. */
export async function portServing(redis: RedisClient, key: string): Promise<number> {
  if (!isCluster(redis)) return redis.options.port ?? 6379;
  const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
  const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`no cluster node serves slot ${slot}`);
  return range[2][1];
}
