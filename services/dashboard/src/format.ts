/** How the runs pages write numbers; a dash where a value is not known (yet). */

export const DASH = '—';

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : n.toLocaleString('en-US');
}

/** A share of 0..1 as a percentage with one decimal. */
export function percent(share: number | null | undefined): string {
  return share === null || share === undefined ? DASH : `${(share * 100).toFixed(1)}%`;
}

/** Dollars to a hundredth of a cent: a small run's large-model calls cost fractions of a cent. */
export function usd(dollars: number | null | undefined): string {
  return dollars === null || dollars === undefined ? DASH : `$${dollars.toFixed(4)}`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return DASH;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An instant in UTC to the second, the same for every reader whatever their time zone. */
export function timestamp(at: string | number | null | undefined): string {
  if (at === null || at === undefined) return DASH;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? DASH : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
