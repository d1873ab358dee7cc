// What Redis did between two moments: commands by name (INFO commandstats) and bytes in and out
// (INFO stats), summed over every master of a cluster. Used by bench-pipeline.ts --redis-ops.
import { isCluster, type RedisClient } from '@datashunt/runtime';

export interface RedisUsage {
  /**
   * Calls per command, as Redis counts them: commands run inside Lua scripts (BullMQ's and ours,
   * under evalsha) count too, each as its own command.
   */
  calls: Map<string, number>;
  /** All commands per server (host:port), to see how a cluster's masters share the work. */
  byServer: Map<string, number>;
  inputBytes: number;
  outputBytes: number;
}

export async function readRedisUsage(redis: RedisClient): Promise<RedisUsage> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  const usage: RedisUsage = { calls: new Map(), byServer: new Map(), inputBytes: 0, outputBytes: 0 };
  for (const server of servers) {
    const info = await server.info('commandstats');
    let total = 0;
    for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      usage.calls.set(name!, (usage.calls.get(name!) ?? 0) + Number(calls));
      total += Number(calls);
    }
    usage.byServer.set(`${server.options.host}:${server.options.port}`, total);
    const stats = await server.info('stats');
    const stat = (field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    usage.inputBytes += stat('total_net_input_bytes');
    usage.outputBytes += stat('total_net_output_bytes');
  }
  return usage;
}

export function usageBetween(before: RedisUsage, after: RedisUsage): RedisUsage {
  const grown = (now: Map<string, number>, then: Map<string, number>) => new Map([...now].map(([name, n]) => [name, n - (then.get(name) ?? 0)] as const).filter(([, n]) => n > 0));
  return { calls: grown(after.calls, before.calls), byServer: grown(after.byServer, before.byServer), inputBytes: after.inputBytes - before.inputBytes, outputBytes: after.outputBytes - before.outputBytes };
}

/**
 * Per 1,000 rows (per-row figures of the easy path round to zero): commands Redis ran, the script calls
 * among them (BullMQ's evalsha, our eval), bytes each way, and the `top` commands with the run's totals.
 */
export function formatPerRow(usage: RedisUsage, rows: number, top = 10): string {
  const perK = (n: number) => ((1000 * n) / rows).toFixed(n * 1000 >= rows * 10 ? 0 : 1);
  const ranked = [...usage.calls].sort((a, b) => b[1] - a[1]).slice(0, top);
  const total = [...usage.calls.values()].reduce((sum, n) => sum + n, 0);
  const scripts = (usage.calls.get('evalsha') ?? 0) + (usage.calls.get('eval') ?? 0);
  return (
    `Redis per 1,000 rows: ${perK(total)} commands (inside scripts included; ${total} in all), ${perK(scripts)} of them script calls, ` +
    `${perK(usage.inputBytes)} B in, ${perK(usage.outputBytes)} B out; top: ${ranked.map(([name, n]) => `${name} ${perK(n)} (${n})`).join(', ')}` +
    (usage.byServer.size > 1 ? `; by master: ${[...usage.byServer].map(([server, n]) => `${server} ${((100 * n) / total).toFixed(0)}%`).join(', ')}` : '')
  );
}
