import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { QueueEvents } from 'bullmq';
import { ResultRecordSchema, runKeys } from '@datashunt/contracts';
import { PIPELINE_SERVICES } from '@datashunt/cli';
import { datasetPaths } from '@datashunt/datasets';
import { bullConnection, nodeOptionsOf, runServices } from '@datashunt/runtime';
import { scorerService } from '@datashunt/scorer';
import { readAllJsonl } from '@datashunt/storage';
import { envOf } from '../support/cli';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type TestStack } from '../support/stack';

/**
 * A scorer process that stops dead in the middle of a shard (frozen with SIGSTOP, so it can neither
 * finish nor renew its lock, then killed): its job's lock expires, another scorer takes the job over,
 * and the run still ends with one result per row. Needs the built services (scripts/test.sh builds).
 */
describe('a worker dying mid-job', () => {
  let stack: TestStack;
  let frozen: ChildProcess | undefined;

  beforeAll(async () => {
    const splits = await spamSplits();
    stack = await startTestStack({
      standInTrainPath: datasetPaths('spam').train,
      services: PIPELINE_SERVICES.filter((s) => s !== 'scorer'),
      env: { JOB_LOCK_MS: '2000', STALLED_CHECK_MS: '500' },
    });
    await trainSpamModel(stack.registry, splits.train, splits.validation);
    await stack.put('datasets/crash.jsonl', toJsonl(splits.test.slice(0, 600)));
  });
  afterAll(async () => {
    frozen?.kill('SIGKILL');
    await stack?.dispose();
  });

  it('hands the dead worker\'s shard to another worker and loses no row', async () => {
    const events = new QueueEvents('score', { connection: bullConnection(stack.config.redis, stack.runtime.redis), prefix: stack.config.QUEUE_PREFIX });
    await events.waitUntilReady();
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    // With its heap flags given, as k8s gives them, the scorer runs in this process rather than behind a launcher, so SIGSTOP freezes it.
    frozen = spawn(process.execPath, ['services/scorer/dist/main.js'], { env: { ...process.env, ...envOf(stack.config), NODE_OPTIONS: nodeOptionsOf('scorer') }, stdio: 'ignore' });
    const firstActive = once(events, 'active');

    await stack.dropManifest('manifests/crash.json', spamManifest('datasets/crash.jsonl', { name: 'crash', shardSize: 300 }));
    await firstActive;
    frozen.kill('SIGSTOP');
    const takeOver = await runServices(stack.runtime, [scorerService(stack.runtime)]);
    try {
      const outcome = await stack.watcher.wait('manifests/crash.json', 120_000);
      if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));
      const results = (await readAllJsonl(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', outcome.runId).results })).map((r) => ResultRecordSchema.parse(r));
      expect(results.map((r) => r.line)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      expect(stalled.length).toBeGreaterThanOrEqual(1);
    } finally {
      frozen.kill('SIGKILL');
      await once(frozen, 'exit');
      await takeOver.stop();
      await events.close();
    }
  });
});
