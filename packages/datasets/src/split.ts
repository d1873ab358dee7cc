import { shuffled, type Rng } from '@datashunt/algorithms';

/**
 * Splits items into parts with the given fractions inside every stratum, so each part keeps the
 * strata's proportions. Strata are visited in sorted order and each part is shuffled at the end,
 * so the result depends only on the input order and the RNG. The last part takes the rounding rest.
 */
export function stratifiedSplit<T>(items: readonly T[], stratumOf: (item: T) => string, fractions: readonly number[], rng: Rng): T[][] {
  const total = fractions.reduce((s, f) => s + f, 0);
  if (fractions.length === 0 || fractions.some((f) => f < 0) || Math.abs(total - 1) > 1e-9) {
    throw new Error(`split fractions must be non-negative and sum to 1, got ${fractions.join(', ')}`);
  }
  const strata = groupBy(items, stratumOf);
  const parts: T[][] = fractions.map(() => []);
  for (const key of [...strata.keys()].sort()) {
    const members = shuffled(strata.get(key)!, rng);
    let start = 0;
    fractions.forEach((fraction, i) => {
      const end = i === fractions.length - 1 ? members.length : start + Math.round(members.length * fraction);
      parts[i]!.push(...members.slice(start, end));
      start = end;
    });
  }
  return parts.map((part) => shuffled(part, rng));
}

export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
