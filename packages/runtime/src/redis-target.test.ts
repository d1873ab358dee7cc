import { ConfigError, loadConfig } from './config.js';
import { hashTagOf, ownKeyPrefix } from './redis-target.js';

describe('REDIS_URL and QUEUE_PREFIX for a Redis Cluster', () => {
  it('reads one server from redis:// and a cluster from redis-cluster://, with shared credentials', () => {
    expect(loadConfig({}).redis).toEqual({ cluster: false, url: 'redis://127.0.0.1:6379' });
    expect(loadConfig({ REDIS_URL: 'redis-cluster://ops:p%40ss@10.0.0.1:7000,[::1]:7001', QUEUE_PREFIX: '{ds}' }).redis).toEqual({
      cluster: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      username: 'ops',
      password: 'p@ss',
      tls: false,
    });
    expect(loadConfig({ REDIS_URL: 'rediss-cluster://cache:6379', QUEUE_PREFIX: 'ds{prod}' }).redis).toMatchObject({ cluster: true, tls: true });
  });

  it('refuses a cluster URL without host:port nodes and never echoes it', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis-cluster://u:secret-ish@cache', QUEUE_PREFIX: '{ds}' })).toThrow(/REDIS_URL: a cluster URL lists host:port nodes/);
    expect(() => loadConfig({ REDIS_URL: 'redis-cluster://u:secret-ish@cache', QUEUE_PREFIX: '{ds}' })).not.toThrow(/secret-ish/);
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL: must be a redis:\/\//);
  });

  it('takes at most one non-empty hash tag in QUEUE_PREFIX', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{ds}' }).QUEUE_PREFIX).toBe('{ds}');
    expect(loadConfig({ QUEUE_PREFIX: 'team-{ds}_1' }).QUEUE_PREFIX).toBe('team-{ds}_1');
    for (const bad of ['{a}{b}', '{}', 'a{b', 'a:b', ' ']) expect(() => loadConfig({ QUEUE_PREFIX: bad })).toThrow(/QUEUE_PREFIX/);
  });

  it('refuses a cluster with an untagged prefix in one line that names the fix', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'redis-cluster://10.0.0.1:7000', QUEUE_PREFIX: 'ds' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('QUEUE_PREFIX "ds" has no hash tag, which a Redis Cluster needs to keep each flow\'s queue keys in one slot: set QUEUE_PREFIX={ds}');
  });

  it('keeps our own keys out of the queues\' slot: their prefix drops the tag\'s braces', () => {
    expect(hashTagOf('{ds}')).toBe('ds');
    expect(hashTagOf('ds')).toBeUndefined();
    expect(ownKeyPrefix('{ds}')).toBe('ds:');
    expect(ownKeyPrefix('team-{ds}')).toBe('team-ds:');
    expect(ownKeyPrefix('ds')).toBe('ds:');
  });
});
