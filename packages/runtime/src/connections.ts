import { Redis } from 'ioredis';

/**
 * Workers block on Redis and must retry forever (maxRetriesPerRequest null); producers should fail
 * fast instead of queueing commands while Redis is away (enableOfflineQueue false).
 */
export function createRedis(url: string, role: 'worker' | 'producer'): Redis {
  return role === 'worker'
    ? new Redis(url, { maxRetriesPerRequest: null })
    : new Redis(url, { maxRetriesPerRequest: 3, enableOfflineQueue: false, lazyConnect: false });
}

/** Resolves once the connection is ready, so start-up fails loudly when Redis is unreachable. */
export async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

