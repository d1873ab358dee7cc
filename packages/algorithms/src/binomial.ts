/** Exact binomial tails and the Clopper-Pearson bound, in log space so n in the tens of thousands stays finite. */

const logFactorials: number[] = [0];

function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[n]!;
}

function logBinomialPmf(n: number, k: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : -Infinity;
  if (p >= 1) return k === n ? 0 : -Infinity;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

function sumExp(logs: number[]): number {
  const max = Math.max(...logs);
  if (max === -Infinity) return 0;
  return Math.min(1, Math.exp(max) * logs.reduce((s, l) => s + Math.exp(l - max), 0));
}

function checkCounts(n: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n < 0 || k < 0 || k > n) {
    throw new RangeError(`binomial counts must be integers with 0 <= k <= n (got n=${n}, k=${k})`);
  }
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialCdf(n: number, k: number, p: number): number {
  checkCounts(n, k);
  const logs: number[] = [];
  for (let j = 0; j <= k; j++) logs.push(logBinomialPmf(n, j, p));
  return sumExp(logs);
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(n: number, k: number, p: number): number {
  checkCounts(n, k);
  const logs: number[] = [];
  for (let j = k; j <= n; j++) logs.push(logBinomialPmf(n, j, p));
  return sumExp(logs);
}

/**
 * Exact one-sided (Clopper-Pearson) lower confidence bound for a binomial proportion: the p at which
 * seeing k or more successes in n has probability alpha. P(X >= k) rises with p, so bisection finds it.
 */
export function clopperPearsonLowerBound(successes: number, n: number, alpha: number): number {
  checkCounts(n, successes);
  if (successes === 0) return 0;
  let lo = 0;
  let hi = successes / n;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomialUpperTail(n, successes, mid) < alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}
