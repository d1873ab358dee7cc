import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * A Lua script sent by its SHA1 (EVALSHA), and in full (EVAL) only to a server that does not hold it
 * yet: a body is 0.5-1.7 kB, several times the rest of a call, and the hard path makes three calls a row.
 * A NOSCRIPT reply means the script did not run, so sending the body then runs it once.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis | Cluster, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error as Error).message?.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
