import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket } from '@datashunt/storage';
import { s3OptionsOf, StartupError, type Config } from './config.js';
import { createRedis, waitReady, type RedisClient } from './connections.js';
import { createLogger, type Logger } from './logger.js';
import { JobMetrics } from './metrics.js';
import { QueueClient } from './queue-client.js';
import { RedisOutageLog } from './redis-outages.js';
import { describeRedisTarget } from './redis-target.js';

/** The shared I/O of a process: one of each client, built once from the parsed config. */
export interface Runtime {
  config: Config;
  logger: Logger;
  s3: S3Client;
  bucket: string;
  /**
   * For application state (caches, budgets, counters). BullMQ gets its own connections, except on a
   * cluster, where its objects share this client (see bullConnection).
   */
  redis: RedisClient;
  queues: QueueClient;
  metrics: JobMetrics;
  /** Every Redis client and BullMQ object of the process reports its connection errors here. */
  redisOutages: RedisOutageLog;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, service: string, logger?: Logger): Promise<Runtime> {
  const log = logger ?? createLogger({ level: config.LOG_LEVEL, service });
  const target = describeRedisTarget(config.redis);
  const redisOutages = new RedisOutageLog(log, target);
  const redis = createRedis(config.redis, 'worker');
  redisOutages.watchClient(redis, 'redis client');
  const producer = createRedis(config.redis, 'producer');
  redisOutages.watchClient(producer, 'redis producer client');
  const s3 = createS3Client(s3OptionsOf(config));
  try {
    await Promise.all([waitReady(redis), waitReady(producer)]).catch(() => {
      throw new StartupError(`Redis at ${target} did not answer: start it there, or set REDIS_URL to one that runs`);
    });
    await ensureBucket(s3, config.S3_BUCKET).catch((error: Error) => {
      throw new StartupError(
        `S3 at ${config.S3_ENDPOINT ?? `AWS (${config.S3_REGION})`} refused bucket "${config.S3_BUCKET}": ${error.message}; check S3_ENDPOINT, S3_BUCKET and the S3 credentials`,
      );
    });
  } catch (error) {
    redis.disconnect();
    producer.disconnect();
    s3.destroy();
    throw error;
  }
  const queues = new QueueClient(producer, config.QUEUE_PREFIX, (emitter, what) => redisOutages.watch(emitter, what), config.OUTAGE_RETRY_WINDOW_MS);
  return {
    config,
    logger: log,
    s3,
    bucket: config.S3_BUCKET,
    redis,
    queues,
    metrics: new JobMetrics(),
    redisOutages,
    async close() {
      await queues.close();
      redis.disconnect();
      producer.disconnect();
      s3.destroy();
    },
  };
}
