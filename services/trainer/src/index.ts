import type { Runtime, ServiceModule } from '@datashunt/runtime';
import { DEFAULT_DISTILL_OPTIONS, distillHandler, type DistillOptions } from './handlers/distill.js';

export * from './distill-set.js';
export * from './distill-jobs.js';
export { DEFAULT_DISTILL_OPTIONS, type DistillOptions, type DistillSummary } from './handlers/distill.js';
export type { LearnableValidation, TrainedLearnable } from './train-learnable.js';

/**
 * trainer: 2CD distillation, one model at a time. Training runs on the event loop, so the lock must
 * outlive a whole training run (BullMQ cannot renew it meanwhile); a stalled-job check would otherwise
 * hand the job to another worker half-way.
 */
export function trainerService(runtime: Runtime, options: Partial<DistillOptions> = {}): ServiceModule {
  return {
    name: 'trainer',
    queues: [{ queue: 'distill', concurrency: 1, lockDurationMs: 2 * 3600_000 }],
    handlers: [distillHandler(runtime, { ...DEFAULT_DISTILL_OPTIONS, ...options })],
  };
}
