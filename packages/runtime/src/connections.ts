import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from './redis-target.js';

/** A client of one Redis server or of a Redis Cluster: both take the same commands. */
export type RedisClient = Redis | Cluster;

/** For what differs on a cluster: a node's INFO or CONFIG, SCAN, all of which reach one node. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis.isCluster;
}

/**
 * Workers block on Redis and must retry forever (maxRetriesPerRequest null); producers should fail
 * fast instead of queueing commands while Redis is away (enableOfflineQueue false).
 */
export function createRedis(target: RedisTarget, role: 'worker' | 'producer'): RedisClient {
  const perRequest = role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3, enableOfflineQueue: false, lazyConnect: false };
  if (!target.cluster) return new Redis(target.url, perRequest);
  const { maxRetriesPerRequest, ...clusterOptions } = perRequest;
  return new Cluster(target.nodes, {
    ...clusterOptions,
    redisOptions: { maxRetriesPerRequest, username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) },
  });
}

/**
 * What BullMQ objects connect with. One server: options, so BullMQ opens each object's connections
 * and closes them with it. A cluster: BullMQ builds clients only from a client, so it gets `shared`
 * (a worker-role client of the same target); it uses it for plain commands, duplicates it for
 * blocking ones and closes only the duplicates, so `shared` must outlive the objects.
 */
export function bullConnection(target: RedisTarget, shared: RedisClient | undefined): ConnectionOptions {
  if (!target.cluster) return { url: target.url, maxRetriesPerRequest: null };
  if (!shared) throw new Error('BullMQ on a Redis Cluster needs a client to share');
  return shared;
}

/** Resolves once the connection is ready, so start-up fails loudly when Redis is unreachable. */
export async function waitReady(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
