/**
 * Simulated batches for the guarantee mode (issue 7): how often each threshold-selection method keeps
 * its promise on the batch, and how many large-model calls it avoids. These are simulations of the
 * small model's confidences and agreement, not pipeline measurements.
 *
 *   node_modules/.bin/tsx scripts/sim-guarantee.ts [--seeds 100] [--rows 5000]
 *
 * Per profile, T and seed: a batch of N rows (confidence, small label, large label); BARGAIN-style
 * selection, uniform sampling + Hoeffding (with as many bought rows as BARGAIN bought on that seed,
 * at least 200) and Learn-then-Test on a separate validation set of 1,000 rows from the same profile,
 * all at alpha 0.1. "held" is the share of seeds whose realised agreement on the batch reached T;
 * "avoided" is the mean share of the batch's rows never sent to the large model (bought rows count as
 * sent; LTT's validation rows are extra calls: the last column charges them to the batch). "ceiling"
 * is what a threshold could keep if every large answer were known in advance.
 */
import { parseArgs } from 'node:util';
import {
  agreementCeiling,
  bargainThreshold,
  evaluateChoice,
  learnThenTestThreshold,
  mulberry32,
  uniformHoeffdingThreshold,
  type AskLarge,
  type GuaranteeTarget,
  type LabelledScoredRow,
  type Rng,
} from '../packages/algorithms/src/index.js';

const LABELS = ['a', 'b', 'c', 'd'];
const ALPHA = 0.1;
const VALIDATION_ROWS = 1000;

interface Profile {
  name: string;
  /** Draws a confidence in [0.25, 1]. */
  confidence: (rng: Rng) => number;
  /** Chance that the small model agrees with the large one at this confidence. */
  agreement: (c: number) => number;
}

const PROFILES: Profile[] = [
  { name: 'calibrated', confidence: (rng) => 1 - 0.75 * rng() ** 2.5, agreement: (c) => c },
  { name: 'over-confident', confidence: (rng) => 1 - 0.75 * rng() ** 4, agreement: (c) => Math.max(0.25, 1 - 2.5 * (1 - c)) },
  { name: 'weak', confidence: (rng) => 1 - 0.75 * rng() ** 1.2, agreement: (c) => 0.85 * c },
];

function batch(profile: Profile, n: number, rng: Rng): LabelledScoredRow[] {
  return Array.from({ length: n }, () => {
    const confidence = profile.confidence(rng);
    const large = LABELS[Math.floor(rng() * LABELS.length)]!;
    const others = LABELS.filter((l) => l !== large);
    const small = rng() < profile.agreement(confidence) ? large : others[Math.floor(rng() * others.length)]!;
    return { confidence, smallLabel: small, largeLabel: large };
  });
}

type Outcome = ReturnType<typeof evaluateChoice>;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '100' }, rows: { type: 'string', default: '5000' } } });
  const seeds = Number(values.seeds);
  const n = Number(values.rows);
  console.log(`${seeds} seeds, N = ${n}, alpha = ${ALPHA}\n`);
  console.log('| profile | T | small-only agreement | ceiling avoided | BARGAIN held | BARGAIN avoided | uniform+Hoeffding held | uniform avoided | LTT held | LTT avoided on the batch | LTT avoided net of its validation calls |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const profile of PROFILES) {
    for (const T of [0.9, 0.95]) {
      const target: GuaranteeTarget = { kind: 'agreement', T };
      const totals = { small: 0, ideal: 0, bargain: [] as Outcome[], uniform: [] as Outcome[], ltt: [] as Outcome[] };
      for (let seed = 1; seed <= seeds; seed++) {
        const rng = mulberry32(seed * 7919 + Math.round(T * 100));
        const rows = batch(profile, n, rng);
        const validation = batch(profile, VALIDATION_ROWS, rng);
        const askLarge: AskLarge = async (indexes) => indexes.map((i) => rows[i]!.largeLabel);
        totals.small += rows.filter((r) => r.smallLabel === r.largeLabel).length / n;
        totals.ideal += agreementCeiling(rows, T);
        const bargain = await bargainThreshold(rows, target, askLarge, { alpha: ALPHA, rng });
        totals.bargain.push(evaluateChoice(rows, target, bargain));
        const sampleSize = Math.max(200, bargain.largeAnswers.size);
        totals.uniform.push(evaluateChoice(rows, target, await uniformHoeffdingThreshold(rows, target, askLarge, { alpha: ALPHA, rng, sampleSize })));
        totals.ltt.push(evaluateChoice(rows, target, learnThenTestThreshold(validation, target, { alpha: ALPHA })));
      }
      const held = (os: Outcome[]) => `${((100 * os.filter((o) => o.held).length) / os.length).toFixed(0)}%`;
      const avoided = (os: Outcome[]) => `${((100 * os.reduce((s, o) => s + o.avoided, 0)) / os.length).toFixed(1)}%`;
      const bought = (os: Outcome[]) => Math.round(os.reduce((s, o) => s + o.bought, 0) / os.length);
      console.log(
        `| ${profile.name} | ${T} | ${((100 * totals.small) / seeds).toFixed(1)}% | ${((100 * totals.ideal) / seeds).toFixed(1)}% | ${held(totals.bargain)} | ${avoided(totals.bargain)} (${bought(totals.bargain)} bought) | ` +
          `${held(totals.uniform)} | ${avoided(totals.uniform)} (${bought(totals.uniform)} bought) | ${held(totals.ltt)} | ${avoided(totals.ltt)} | ${(100 * (totals.ltt.reduce((s, o) => s + o.avoided, 0) / seeds - VALIDATION_ROWS / n)).toFixed(1)}% |`,
      );
    }
  }
}

await main();
