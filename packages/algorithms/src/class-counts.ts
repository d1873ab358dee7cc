/**
 * A warning line for each class with fewer than `minimum` rows, naming the class and both counts, so
 * that a person sees which class a dataset, a training set or a sample is short of. `why` follows the
 * minimum, e.g. " (--min-per-class)".
 */
export function classCountWarnings(counts: Record<string, number>, minimum: number, what = 'rows', why = ''): string[] {
  return Object.entries(counts)
    .filter(([, count]) => count < minimum)
    .map(([label, count]) => `class "${label}" has ${count} ${what}, fewer than ${minimum}${why}`);
}

/** Rows per label, every label of the set present (0 when no row has it), in the set's order. */
export function countByLabel(labels: readonly string[], rowLabels: Iterable<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
  for (const label of rowLabels) if (label !== undefined && label in counts) counts[label]! += 1;
  return counts;
}
