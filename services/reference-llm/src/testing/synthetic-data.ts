import { writeFileSync } from 'node:fs';
import { mulberry32 } from '@datashunt/algorithms';

/** Small labelled data sets for tests: easy for the stand-in, but noisy enough that it is never certain. */

export interface LabelledRow {
  id: string;
  input: string | number[];
  label: string;
}

const TEXT_VOCABULARY: Record<string, string[]> = {
  spam: ['free', 'winner', 'prize', 'claim', 'cash', 'offer', 'click', 'now', 'urgent', 'credit', 'guaranteed', 'viagra'],
  ham: ['meeting', 'agenda', 'project', 'review', 'lunch', 'attached', 'schedule', 'thanks', 'report', 'team', 'tomorrow', 'draft'],
};
const SHARED_WORDS = ['the', 'a', 'for', 'you', 'your', 'this', 'is', 'to', 'and', 'we', 'please', 'today'];

export function syntheticTextRows(perClass: number, seed: number): LabelledRow[] {
  const random = mulberry32(seed);
  const pick = (words: string[]) => words[Math.floor(random() * words.length)]!;
  return Object.entries(TEXT_VOCABULARY).flatMap(([label, words]) =>
    Array.from({ length: perClass }, (_, i) => ({
      id: `${label}-${i}`,
      input: Array.from({ length: 14 }, () => (random() < 0.5 ? pick(words) : pick(SHARED_WORDS))).join(' '),
      label,
    })),
  );
}

export const IMAGE_SIDE = 8;
/** Which pixels of an 8x8 image are lit, per class. */
const IMAGE_SHAPES: Record<string, (x: number, y: number) => boolean> = {
  horizontal: (_x, y) => y === 3 || y === 4,
  vertical: (x) => x === 3 || x === 4,
  diagonal: (x, y) => Math.abs(x - y) <= 1,
};

export function syntheticImage(label: string, random: () => number): number[] {
  const lit = IMAGE_SHAPES[label]!;
  return Array.from({ length: IMAGE_SIDE * IMAGE_SIDE }, (_, i) => {
    const on = lit(i % IMAGE_SIDE, Math.floor(i / IMAGE_SIDE));
    return Math.round((on ? 180 : 0) + random() * 75);
  });
}

export function syntheticImageRows(perClass: number, seed: number): LabelledRow[] {
  const random = mulberry32(seed);
  return Object.keys(IMAGE_SHAPES).flatMap((label) =>
    Array.from({ length: perClass }, (_, i) => ({ id: `${label}-${i}`, input: syntheticImage(label, random), label })),
  );
}

export function writeJsonl(path: string, rows: readonly object[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
