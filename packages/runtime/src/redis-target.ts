import { z } from 'zod';

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** Where Redis is: one server (an ioredis URL), or a cluster's seed nodes with the credentials every node shares. */
export type RedisTarget =
  | { cluster: false; url: string }
  | { cluster: true; nodes: ClusterNodeAddress[]; username?: string; password?: string; tls: boolean };

const CLUSTER_SCHEMES = new Set(['redis-cluster:', 'rediss-cluster:']);

/**
 * REDIS_URL: `redis://` or `rediss://` for one server; `redis-cluster://[user:password@]host:port,host:port`
 * (`rediss-cluster://` for TLS) for a Redis Cluster, naming some of its nodes (the client finds the rest).
 */
export const RedisTargetSchema = z.string().transform((url, ctx): RedisTarget => {
  const scheme = /^[a-z-]+:/i.exec(url)?.[0].toLowerCase();
  if (scheme === 'redis:' || scheme === 'rediss:') return { cluster: false, url };
  if (!scheme || !CLUSTER_SCHEMES.has(scheme)) {
    ctx.addIssue({ code: 'custom', message: 'must be a redis://, rediss://, redis-cluster:// or rediss-cluster:// URL' });
    return z.NEVER;
  }
  const rest = url.slice(scheme.length).replace(/^\/\//, '').replace(/\/$/, '');
  const at = rest.lastIndexOf('@');
  const [username, password] = at < 0 ? [] : rest.slice(0, at).split(':', 2).map((part) => decodeURIComponent(part));
  const nodes = (at < 0 ? rest : rest.slice(at + 1)).split(',').map(parseNode);
  if (nodes.length === 0 || nodes.some((node) => node === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'a cluster URL lists host:port nodes, e.g. redis-cluster://10.0.0.1:6379,10.0.0.2:6379' });
    return z.NEVER;
  }
  return { cluster: true, nodes: nodes as ClusterNodeAddress[], username: username || undefined, password: password || undefined, tls: scheme === 'rediss-cluster:' };
});

function parseNode(text: string): ClusterNodeAddress | undefined {
  const match = /^(\[[^\]]+\]|[^:,\s]+):(\d{1,5})$/.exec(text.trim());
  return match ? { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) } : undefined;
}

/**
 * A queue prefix with a Redis Cluster hash tag (`{ds}`, `ds{prod}`) keeps every key of every queue in
 * one slot, which BullMQ's flows need: a parent in one queue and its children in others change
 * together in one script.
 */
export function hashTagOf(prefix: string): string | undefined {
  return /\{([^}]+)\}/.exec(prefix)?.[1];
}

/**
 * The start of our own keys (budgets, progress, caches): the queue prefix without its hash tag's
 * braces, so that a key's own tag (a run id, an endpoint) picks its slot and the keys spread over the
 * cluster instead of crowding the queues' slot.
 */
export function ownKeyPrefix(queuePrefix: string): string {
  return `${queuePrefix.replace(/[{}]/g, '')}:`;
}

/** Host:port list of a target, without credentials, for log lines. */
export function describeRedisTarget(target: RedisTarget): string {
  if (!target.cluster) {
    try {
      const u = new URL(target.url);
      return `${u.hostname}:${u.port || '6379'}`;
    } catch {
      return 'redis';
    }
  }
  return `cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
}
