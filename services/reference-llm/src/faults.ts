import { z } from 'zod';

/** Failures a test can ask for, so callers' retry, rate-limit and parsing paths run against a real server. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('429'), retryAfterSeconds: z.number().nonnegative().default(1), count: z.number().int().positive().default(1) }),
  z.object({ kind: z.literal('500'), count: z.number().int().positive().default(1) }),
  z.object({ kind: z.literal('slow'), delayMs: z.number().int().nonnegative(), count: z.number().int().positive().default(1) }),
  /** A 200 whose JSON body is cut off. */
  z.object({ kind: z.literal('malformed'), count: z.number().int().positive().default(1) }),
  /** A valid completion whose content is no label. */
  z.object({ kind: z.literal('nonsense'), count: z.number().int().positive().default(1) }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

export const FaultPlanSchema = z.object({ faults: z.array(FaultSchema) });

/** Failures of the batch interface, one per batch created: the whole batch, or a share of its lines. */
export const BatchFaultSchema = z.discriminatedUnion('kind', [
  /** The batch ran past its completion window: every line ends in the error file as batch_expired. */
  z.object({ kind: z.literal('expired'), count: z.number().int().positive().default(1) }),
  /** The batch failed as a whole (no output, no error file): its `errors` say why. */
  z.object({ kind: z.literal('failed'), count: z.number().int().positive().default(1) }),
  /** This share of the lines, spread evenly, fails with a 500 in the error file; the rest are answered. */
  z.object({ kind: z.literal('failLines'), share: z.number().gt(0).lte(1), count: z.number().int().positive().default(1) }),
]);
export type BatchFault = z.infer<typeof BatchFaultSchema>;

export const BatchFaultPlanSchema = z.object({ faults: z.array(BatchFaultSchema) });

/** Faults are taken in order, one per request (a completion, or a batch), each `count` times. */
export class FaultQueue<F extends { count: number } = Fault> {
  private pending: F[] = [];

  add(faults: F[]): void {
    this.pending.push(...faults.map((f) => ({ ...f })));
  }

  clear(): void {
    this.pending = [];
  }

  remaining(): F[] {
    return this.pending.map((f) => ({ ...f }));
  }

  next(): F | undefined {
    const head = this.pending[0];
    if (!head) return undefined;
    if (--head.count === 0) this.pending.shift();
    return { ...head, count: 1 };
  }
}

/**
 * The x-reference-fault header: `<kind>[:<number>]`, the number being retry-after seconds for 429 and
 * the delay in ms for slow. It applies to that request only and leaves the queue alone.
 */
export function faultFromHeader(value: string): Fault {
  const [kind, parameter] = value.trim().split(':');
  const number = parameter === undefined ? undefined : Number(parameter);
  const extra = kind === '429' ? { retryAfterSeconds: number } : kind === 'slow' ? { delayMs: number ?? 0 } : {};
  return FaultSchema.parse({ kind, ...extra });
}
