import { confidentTop, guaranteeShuntTops, shuntTops, type ShuntDecision } from '@datashunt/algorithms';
import type { RunManifest } from '@datashunt/contracts';
import type { CompactScoredRow } from './compact-scored.js';

/** A scored row the model could take (not refused). */
export type ScoredTops = Exclude<CompactScoredRow, { reject: string }>;

/** A guarantee run's routing: its sampling phase's threshold, and the lines whose large answers it bought. */
export interface GuaranteeRouting {
  threshold: number | null;
  sampledLines: ReadonlySet<number>;
}

/** Where one scored row goes: a small model's answer, or the large model (with the label to fall back on). */
export function decide(manifest: RunManifest, row: ScoredTops, guarantee?: GuaranteeRouting): ShuntDecision {
  if (guarantee) {
    // A sampled row keeps the large answer the sampling phase bought for it.
    if (guarantee.sampledLines.has(row.line)) return { source: 'large', fallbackIndex: confidentTop(row.s1, row.s2).index };
    return guaranteeShuntTops(guarantee.threshold, row.s1, row.s2);
  }
  switch (manifest.strategy) {
    case 'shunt':
      return shuntTops(manifest.delta, row.s1, row.s2);
    case 'small-only':
      return shuntTops(0, row.s1, row.s2);
    case 'large-only':
      return { source: 'large', fallbackIndex: row.s1.index };
  }
}

/**
 * Whether the router may send a row to the large model, and the label it would fall back on: the
 * scorer writes exactly these rows' inputs for the llm-callers. A guarantee run's threshold is chosen
 * after scoring, so every one of its rows may be sampled or sent.
 */
export function largeCandidate(manifest: RunManifest, row: ScoredTops, guarantee: boolean): { fallbackIndex: number } | undefined {
  if (guarantee) return { fallbackIndex: confidentTop(row.s1, row.s2).index };
  const decision = decide(manifest, row);
  return decision.source === 'large' ? decision : undefined;
}
