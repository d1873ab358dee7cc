// The stack the pipeline benchmarks share: the bench package prepares each experiment's data and the
// reference LLM's stand-ins, then the pipeline runs in this process on a fresh S3 folder under
// <outDir>/stack, with a queue prefix of its own and a fast sweep.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareBench, type BenchPlan } from '../packages/bench/dist/index.js';
import { PIPELINE_SERVICES, startLocalStack, type LocalStack } from '../packages/cli/dist/index.js';

export async function startBenchStack(
  plan: BenchPlan,
  options: { queuePrefix: string; services?: string[]; env?: Record<string, string> },
): Promise<{ stack: LocalStack; prepared: Awaited<ReturnType<typeof prepareBench>> }> {
  const stackDir = join(plan.outDir, 'stack');
  await rm(join(stackDir, 's3'), { recursive: true, force: true });
  const modelsDir = join(stackDir, 'reference-llm');
  const prepared = await prepareBench(plan, modelsDir);
  const stack = await startLocalStack({
    dataDir: stackDir,
    services: options.services ?? PIPELINE_SERVICES,
    referenceModelsDir: modelsDir,
    logLevel: 'warn',
    env: { QUEUE_PREFIX: `${options.queuePrefix}${randomBytes(3).toString('hex')}`, INGEST_HTTP_PORT: '0', SWEEP_EVERY_MS: '500', ...options.env },
  });
  return { stack, prepared };
}
