import { z } from 'zod';

/**
 * How the server paces completions like a hosted model: each answer takes a latency drawn uniformly
 * from [minMs, maxMs], and a ceiling (requests per minute) refuses requests beyond it with a 429, as a
 * provider's own limit would. Set at start (options, env) or changed by tests (PUT /admin/pacing).
 */
export const PacingSchema = z.object({
  latencyMs: z
    .object({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() })
    .refine((l) => l.min <= l.max, 'latencyMs.min must not exceed latencyMs.max')
    .optional(),
  maxRequestsPerMinute: z.number().positive().optional(),
});
export type Pacing = z.infer<typeof PacingSchema>;

/** "200-500" (uniform between) or "300" (fixed), as REFERENCE_LLM_LATENCY_MS gives it. */
export function parseLatencyRange(value: string): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`latency ${JSON.stringify(value)}: expected <ms> or <min>-<max> in ms`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  return PacingSchema.shape.latencyMs.unwrap().parse({ min, max });
}

export function drawLatencyMs(latency: Pacing['latencyMs'], random: () => number = Math.random): number {
  if (!latency) return 0;
  return latency.min + Math.floor(random() * (latency.max - latency.min + 1));
}

/**
 * A token bucket holding one second's worth of requests, refilled continuously: providers enforce a
 * per-minute limit over short periods, so a burst of more than a second's share is refused even while
 * the minute's total is below the ceiling.
 */
export class RequestCeiling {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = this.capacity();
    this.updatedAt = this.now();
  }

  /** Takes one request's token: 0 when admitted, else the ms until one is free. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
  }

  private capacity(): number {
    return Math.max(1, this.perMinute / 60);
  }
}
