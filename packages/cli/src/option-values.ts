import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values (commander argParsers): a bad value is a usage error that names the
 * option, before anything connects to Redis or S3.
 */
export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = finiteNumber(value);
  if (n <= 0) throw new InvalidArgumentError('must be a number above 0.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = finiteNumber(value);
  if (n < 0) throw new InvalidArgumentError('must be a number >= 0.');
  return n;
}

export function positiveInteger(value: string): number {
  const n = finiteNumber(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1.');
  return n;
}

export function integer(value: string): number {
  const n = finiteNumber(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number.');
  return n;
}

/** A fraction below 1, e.g. a tolerance (0.01 is one point). */
export function fractionBelowOne(value: string): number {
  const n = nonNegativeNumber(value);
  if (n >= 1) throw new InvalidArgumentError('must be a fraction below 1 (0.01 is one point).');
  return n;
}

/** A share of rows, from 0 to 1. */
export function share(value: string): number {
  const n = nonNegativeNumber(value);
  if (n > 1) throw new InvalidArgumentError('must be a share from 0 to 1.');
  return n;
}

/** "a,b, c" -> ["a", "b", "c"]; an empty list is refused. */
export function list(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('must name at least one item (comma-separated).');
  return items;
}

/** "a,b" of whole numbers >= 1, e.g. layer sizes or an image shape. */
export function positiveIntegers(value: string): number[] {
  return list(value).map(positiveInteger);
}

const DURATION_UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "24h", "30m", "90s", "1d", "500ms" or a bare number of milliseconds, in milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms') as keyof typeof DURATION_UNITS] : NaN;
  if (!(ms >= 1)) throw new InvalidArgumentError('must be a duration like 24h, 30m or 90s.');
  return Math.round(ms);
}
