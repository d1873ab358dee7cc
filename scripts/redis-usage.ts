// What Redis did between two moments: commands by name (INFO commandstats) and bytes in and out
// (INFO stats), summed over every master of a cluster. Used by bench-pipeline.ts --redis-ops.
import { isCluster, type RedisClient } from '@datashunt/runtime';

export interface RedisUsage {
  /**
   * Calls per command, as Redis counts them: commands run inside Lua scripts (BullMQ's and ours,
   * under evalsha) count too, each as its own command.
   */
  calls: Map<string, number>;
  inputBytes: number;
  outputBytes: number;
}

export async function readRedisUsage(redis: RedisClient): Promise<RedisUsage> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  const usage: RedisUsage = { calls: new Map(), inputBytes: 0, outputBytes: 0 };
  for (const server of servers) {
    const info = await server.info('commandstats');
    for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) usage.calls.set(name!, (usage.calls.get(name!) ?? 0) + Number(calls));
    const stats = await server.info('stats');
    const stat = (field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    usage.inputBytes += stat('total_net_input_bytes');
    usage.outputBytes += stat('total_net_output_bytes');
  }
  return usage;
}

export function usageBetween(before: RedisUsage, after: RedisUsage): RedisUsage {
  const calls = new Map([...after.calls].map(([name, n]) => [name, n - (before.calls.get(name) ?? 0)] as const).filter(([, n]) => n > 0));
  return { calls, inputBytes: after.inputBytes - before.inputBytes, outputBytes: after.outputBytes - before.outputBytes };
}

/** Per row: commands Redis ran (evalsha: script calls from clients), bytes each way, and the `top` commands. */
export function formatPerRow(usage: RedisUsage, rows: number, top = 10): string {
  const perRow = (n: number) => (n / rows).toFixed(2);
  const ranked = [...usage.calls].sort((a, b) => b[1] - a[1]).slice(0, top);
  const total = [...usage.calls.values()].reduce((sum, n) => sum + n, 0);
  return (
    `Redis per row: ${perRow(total)} commands (inside scripts included), ${perRow((usage.calls.get('evalsha') ?? 0) + (usage.calls.get('eval') ?? 0))} of them script calls; ` +
    `${perRow(usage.inputBytes)} B in, ${perRow(usage.outputBytes)} B out; top: ${ranked.map(([name, n]) => `${name} ${perRow(n)}`).join(', ')}`
  );
}
