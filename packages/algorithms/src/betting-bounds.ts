/**
 * Lower confidence bounds for the mean of observations in [0, 1].
 *
 * The betting bound follows Waudby-Smith & Ramdas, "Estimating means of bounded random variables by
 * betting" (arXiv 2010.09686): for a candidate mean m, a gambler starts with capital 1 and bets
 * lambda_t >= 0 that the next observation exceeds m, K_t(m) = prod (1 + lambda_t (x_t - mu_t(m))).
 * If the mean really is m (or less), K(m) is a nonnegative (super)martingale, so by Ville's inequality
 * it reaches 1/alpha at ANY time with probability at most alpha: rejecting m once it does gives bounds
 * valid at every sample size at once, under any stopping rule. Bets are the paper's predictable
 * plug-in (they depend only on earlier observations), truncated at c / mu_t(m) so capital stays
 * positive. The lower bound is one-sided: the hedged process with all weight on the upward bet.
 *
 * Without replacement from a finite population of N (their Sec. 6), mu_t(m) is the mean of the rows
 * not yet drawn if the population mean is m: (N m - sum of earlier draws) / (N - t + 1). The bound
 * then tightens to the exact mean as the whole population is drawn.
 */

export interface BettingOptions {
  /** Finite population size when sampling without replacement; omitted: i.i.d. draws. */
  populationSize?: number;
  /** Bet truncation c in lambda <= c / mu_t(m); the paper uses 1/2 or 3/4. */
  truncation?: number;
  /**
   * How much to bet. 'plug-in' (default): the paper's predictable plug-in, tuned for narrow bounds.
   * 'agrapa': its approximate growth-rate-adaptive bet (mean - m) / (variance + (mean - m)^2), which
   * grows capital faster when testing one fixed m. Both use only earlier observations, so both are valid.
   */
  bet?: 'plug-in' | 'agrapa';
}

export const DEFAULT_TRUNCATION = 0.5;

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

function checkObservation(x: number): void {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`observations must lie in [0, 1], got ${x}`);
}

/**
 * The capital process K_t(m) for one candidate mean m, fed one observation at a time. `observe`
 * answers true once the capital has reached 1/alpha (or the data already prove the mean is at least
 * m): the hypothesis "mean < m" is rejected at level alpha and stays rejected.
 */
export class MeanAboveTest {
  private capital = 1;
  private count = 0;
  private sum = 0;
  private sumSquaredDeviations = 0;
  private rejected = false;
  private readonly logOneOverAlpha: number;
  private readonly truncation: number;

  constructor(
    readonly m: number,
    readonly alpha: number,
    private readonly options: BettingOptions = {},
  ) {
    checkAlpha(alpha);
    this.logOneOverAlpha = Math.log(1 / alpha);
    this.truncation = options.truncation ?? DEFAULT_TRUNCATION;
    if (m <= 0) this.rejected = true;
  }

  get isRejected(): boolean {
    return this.rejected;
  }

  get observations(): number {
    return this.count;
  }

  get observedSum(): number {
    return this.sum;
  }

  /** The untruncated bet for draw t, from draws 1..t-1 only (predictable). */
  private betSize(t: number, nullMean: number): number {
    const variance = (0.25 + this.sumSquaredDeviations) / t;
    if (this.options.bet === 'agrapa') {
      const edge = (0.5 + this.sum) / t - nullMean;
      return edge / (variance + edge * edge);
    }
    return Math.sqrt((2 * this.logOneOverAlpha) / (variance * t * Math.log(1 + t)));
  }

  observe(x: number): boolean {
    checkObservation(x);
    const { populationSize } = this.options;
    if (populationSize !== undefined && this.count >= populationSize) {
      throw new RangeError(`cannot draw more than the population of ${populationSize} without replacement`);
    }
    const t = this.count + 1;
    if (!this.rejected) {
      const nullMean = populationSize === undefined ? this.m : (populationSize * this.m - this.sum) / (populationSize - t + 1);
      if (nullMean <= 0) {
        // The rows not yet drawn would need a mean <= 0 for the population mean to be below m, and
        // observations are >= 0: the draws so far already prove the mean is at least m.
        this.rejected = true;
      } else {
        const lambda = Math.max(0, Math.min(this.betSize(t, nullMean), this.truncation / nullMean));
        this.capital *= 1 + lambda * (x - nullMean);
        if (this.capital >= 1 / this.alpha) this.rejected = true;
      }
    }
    this.count = t;
    this.sum += x;
    const runningMean = (0.5 + this.sum) / (t + 1);
    this.sumSquaredDeviations += (x - runningMean) ** 2;
    return this.rejected;
  }
}

function rejects(xs: readonly number[], m: number, alpha: number, options: BettingOptions): boolean {
  const test = new MeanAboveTest(m, alpha, options);
  for (const x of xs) if (test.observe(x)) return true;
  return test.isRejected;
}

/**
 * Anytime-valid lower bound: the smallest m whose capital process stayed below 1/alpha over all of
 * `xs`. K_t(m) never increases with m (each factor falls as mu_t(m) rises, including through the
 * truncation), so the rejected means form an interval [0, L) and bisection finds L; it returns the
 * rejected end, erring low. Without replacement, the mean is also at least sum / N whatever the rest.
 */
export function bettingLowerBound(xs: readonly number[], alpha: number, options: BettingOptions = {}): number {
  checkAlpha(alpha);
  xs.forEach(checkObservation);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 40 && hi - lo > 1e-7; i++) {
    const mid = (lo + hi) / 2;
    if (rejects(xs, mid, alpha, options)) lo = mid;
    else hi = mid;
  }
  const floor = options.populationSize === undefined ? 0 : xs.reduce((s, x) => s + x, 0) / options.populationSize;
  return Math.max(lo, floor);
}

/** Hoeffding's lower bound for a fixed sample size n (valid with or without replacement). */
export function hoeffdingLowerBound(xs: readonly number[], alpha: number): number {
  checkAlpha(alpha);
  if (xs.length === 0) return 0;
  xs.forEach(checkObservation);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.max(0, mean - Math.sqrt(Math.log(1 / alpha) / (2 * xs.length)));
}
