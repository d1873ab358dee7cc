/**
 * The BARGAIN walk as rounds of a job that cannot wait inside a callback: each round replays the walk
 * from the start with the same seed over the answers known so far. The walk is deterministic given its
 * seed and answers, so a replay asks for the same rows in the same order; the first batch with a row
 * not yet known ends the replay with that batch, which the caller buys (one round) before replaying.
 * Replays cost no large-model calls, and a retried round asks for exactly the same batch.
 */
import { bargainThreshold, LargeAnswersUnavailable, type GuaranteeTarget, type ScoredRow, type ThresholdChoice } from './guarantee-threshold.js';
import { mulberry32 } from './seeded-random.js';

export interface GuaranteeRoundInput {
  rows: readonly ScoredRow[];
  target: GuaranteeTarget;
  alpha: number;
  seed: number;
  /** Large answers bought in earlier rounds, by row index. */
  known: ReadonlyMap<number, string>;
  /** Rows asked in earlier rounds that the large model could not answer: the walk stops at them. */
  unanswerable: ReadonlySet<number>;
  batchSize?: number;
}

export type GuaranteeRound =
  /** Buy this batch (round `round` counts the batches asked before it), then call again. */
  | { kind: 'ask'; round: number; rows: number[] }
  | { kind: 'done'; choice: ThresholdChoice; rounds: number };

class Suspend extends Error {
  constructor(readonly round: number, readonly rows: number[]) {
    super('the walk needs answers it does not have yet');
  }
}

export async function guaranteeRound(input: GuaranteeRoundInput): Promise<GuaranteeRound> {
  let round = 0;
  const ask = async (indexes: number[]) => {
    const current = round++;
    const lost = indexes.filter((i) => input.unanswerable.has(i));
    if (lost.length) throw new LargeAnswersUnavailable(`${lost.length} sampled rows got no large answer`);
    if (indexes.some((i) => !input.known.has(i))) throw new Suspend(current, indexes);
    return indexes.map((i) => input.known.get(i)!);
  };
  try {
    const choice = await bargainThreshold(input.rows, input.target, ask, { alpha: input.alpha, rng: mulberry32(input.seed), ...(input.batchSize ? { batchSize: input.batchSize } : {}) });
    return { kind: 'done', choice, rounds: round };
  } catch (error) {
    if (error instanceof Suspend) return { kind: 'ask', round: error.round, rows: error.rows };
    throw error;
  }
}
