import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { isConnectionError, RedisOutageLog } from './redis-outages.js';
import { describeRedisTarget } from './redis-target.js';

/** A real pino logger writing into an array, so the test reads the very lines an operator would. */
function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', service: 't', destination }) };
}

/** An error the way ioredis reports a refused reconnect. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RedisOutageLog', () => {
  it('logs one line per outage however many clients retry, and one when Redis is back', async () => {
    const { lines, logger } = capture();
    let now = 1_000;
    const log = new RedisOutageLog(logger, '127.0.0.1:6390', () => now);
    for (let retry = 0; retry < 50; retry += 1) for (const what of ['redis client', 'worker llm', 'queue ingest']) log.onError(refused(), what);
    log.onError(new Error('Missing lock for job 7. moveToFinished'), 'worker llm');
    now += 12_500;
    log.onReady();
    log.onReady();
    await flush();
    expect(lines.filter((l) => l.level >= 30).map((l) => [l.level, l.msg])).toEqual([
      [40, 'lost the connection to Redis at 127.0.0.1:6390 (connect ECONNREFUSED 127.0.0.1:6390); retrying until it is back: jobs pause meanwhile and resume on their own'],
      [30, 'Redis at 127.0.0.1:6390 is back after 12.5 s; jobs resume'],
    ]);
    expect(log.down).toBe(false);

    log.onError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'redis client');
    expect(log.down).toBe(true);
  });

  it('logs other errors as they come while Redis is up', async () => {
    const { lines, logger } = capture();
    const log = new RedisOutageLog(logger, 'r:1');
    log.onError(new Error('Missing lock for job 7'), 'worker llm');
    await flush();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, 'worker llm: Missing lock for job 7']]);
  });
});

describe('isConnectionError', () => {
  it.each([
    ['ECONNREFUSED', true, refused()],
    ['ETIMEDOUT', true, Object.assign(new Error('x'), { code: 'ETIMEDOUT' })],
    ['a closed connection', true, new Error('Connection is closed.')],
    ['MaxRetriesPerRequestError', true, Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })],
    ['an unknown command', false, new Error('ERR unknown command')],
    ['a lost job lock', false, new Error('Missing lock for job 1')],
  ])('%s: %s', (_what, expected, error) => expect(isConnectionError(error)).toBe(expected));
});

describe('describeRedisTarget', () => {
  it('keeps host and port and drops credentials', () => {
    expect(describeRedisTarget({ cluster: false, url: 'redis://user:s3cret@cache.internal:6380/2' })).toBe('cache.internal:6380');
    expect(describeRedisTarget({ cluster: false, url: 'rediss://cache.internal' })).toBe('cache.internal:6379');
    expect(describeRedisTarget({ cluster: true, nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }], password: 's3cret', tls: false })).toBe('cluster a:7000,b:7001');
  });
});
