import { ManifestSchema } from '@datashunt/contracts';
import { topClass } from '@datashunt/algorithms';
import type { CompactScoredRow } from '../compact-scored.js';

/** A three-label manifest for routing tests (delta 0.9), with fields overridden. */
export const manifest = (over: object = {}) =>
  ManifestSchema.parse({
    task: { type: 'classification', labels: ['a', 'b', 'c'], instruction: 'pick' },
    input: { uri: 'x.jsonl' },
    smallModel: { name: 'm' },
    largeModel: { model: 'l', pricing: { inputPer1M: 1, outputPer1M: 1 }, rateLimitRpm: 60 },
    delta: 0.9,
    budgetUsd: 1,
    ...over,
  });

const compact = (line: number, id: string, gold: string, p1: number[], p2: number[]): CompactScoredRow => ({ line, id, gold, s1: topClass(p1), s2: topClass(p2), probs: p1 });
/** Rows of a scored shard: confident for the specific model, for the learnable one, for neither, and refused. */
export const scored: CompactScoredRow[] = [
  compact(1, 'easy', 'a', [0.95, 0.03, 0.02], [0.5, 0.3, 0.2]),
  compact(2, 'learnable', 'b', [0.3, 0.6, 0.1], [0.02, 0.95, 0.03]),
  compact(3, 'hard', 'c', [0.2, 0.3, 0.5], [0.1, 0.6, 0.3]),
  { line: 5, id: 'bad', reject: 'expected 784 pixel values' },
];
