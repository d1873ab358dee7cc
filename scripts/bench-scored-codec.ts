// Scorer-to-router rows (issue 11): encode + decode rows/s and bytes per row of the compact scored rows,
// plain JSONL (one JSON object per line, the baseline) against the binary layout the pipeline uses
// (encodeScoredRows/decodeScoredRows), on shards of 10,000 rows, k=2 and k=10 labels, with and without
// every probability. Each codec runs in alternation, several times; the median is kept.
//   node_modules/.bin/tsx scripts/bench-scored-codec.ts [--shard-rows 10000] [--shards 10] [--trials 7]
import { deepStrictEqual } from 'node:assert';
import { parseArgs } from 'node:util';
// Built output, as scripts/bench-pipeline.ts uses the reference LLM's: the root package does not depend on packages/runs.
import { decodeScoredRows, encodeScoredRows, type CompactScoredRow } from '../packages/runs/dist/index.js';

const { values } = parseArgs({
  options: {
    'shard-rows': { type: 'string', default: '10000' },
    shards: { type: 'string', default: '10' },
    trials: { type: 'string', default: '7' },
  },
});
const shardRows = Number(values['shard-rows']);
const shards = Number(values.shards);
const trials = Number(values.trials);

interface Codec {
  encode(rows: CompactScoredRow[]): Buffer;
  decode(bytes: Buffer): CompactScoredRow[];
}

const jsonl: Codec = {
  encode(rows) {
    let out = '';
    for (const row of rows) out += `${JSON.stringify(row)}\n`;
    return Buffer.from(out);
  },
  decode(bytes) {
    const rows: CompactScoredRow[] = [];
    let start = 0;
    for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
      rows.push(JSON.parse(bytes.toString('utf8', start, end)) as CompactScoredRow);
      start = end + 1;
    }
    return rows;
  },
};
const binary: Codec = { encode: encodeScoredRows, decode: decodeScoredRows };

/**
 * A shard as the scorer would pass it: string ids, gold labels, the specific model's top class with a
 * float32 confidence (what ONNX gives), every probability, and one row in 100 rejected.
 */
function shardOf(shard: number, k: number): CompactScoredRow[] {
  const labels = Array.from({ length: k }, (_, i) => `label-${i}`);
  return Array.from({ length: shardRows }, (_, i): CompactScoredRow => {
    const line = shard * shardRows + i + 1;
    const id = `row-${line}`;
    if (i % 100 === 99) return { line, id, reject: 'input: expected a non-empty string' };
    const raw = Array.from({ length: k }, (_, j) => Math.fround(((line * 7919 + j * 104729) % 1000) / 1000 + 0.001));
    const sum = raw.reduce((a, b) => a + b, 0);
    const probs = raw.map((p) => Math.fround(p / sum));
    const top = probs.indexOf(Math.max(...probs));
    return { line, id, gold: labels[line % k]!, s1: { index: top, confidence: probs[top]! }, probs };
  });
}

function measure(codec: Codec, data: CompactScoredRow[][]): { encodeS: number; decodeS: number; bytes: number } {
  const t0 = performance.now();
  const encoded = data.map((rows) => codec.encode(rows));
  const t1 = performance.now();
  let decoded = 0;
  for (const bytes of encoded) decoded += codec.decode(bytes).length;
  const t2 = performance.now();
  if (decoded !== shards * shardRows) throw new Error(`decoded ${decoded} rows, expected ${shards * shardRows}`);
  return { encodeS: (t1 - t0) / 1000, decodeS: (t2 - t1) / 1000, bytes: encoded.reduce((sum, b) => sum + b.length, 0) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = shards * shardRows;
const kRows = (s: number) => `${(rows / s / 1000).toFixed(0)}k`;

console.log(`${shards} shards of ${shardRows} rows, median of ${trials} trials; rows/s in thousands`);
console.log('| labels | codec | encode rows/s | decode rows/s | encode+decode rows/s | bytes/row | speed vs JSONL | size vs JSONL |');
console.log('|---|---|---|---|---|---|---|---|');
for (const k of [2, 10]) {
  const data = Array.from({ length: shards }, (_, s) => shardOf(s, k));
  // The binary layout must give back what JSONL gives back (float32 values survive both exactly).
  deepStrictEqual(binary.decode(binary.encode(data[0]!)), jsonl.decode(jsonl.encode(data[0]!)));
  measure(jsonl, data);
  measure(binary, data);
  const runs: Record<'jsonl' | 'binary', Array<ReturnType<typeof measure>>> = { jsonl: [], binary: [] };
  for (let t = 0; t < trials; t++) {
    runs.jsonl.push(measure(jsonl, data));
    runs.binary.push(measure(binary, data));
  }
  const summary = (name: 'jsonl' | 'binary') => {
    const encodeS = median(runs[name].map((r) => r.encodeS));
    const decodeS = median(runs[name].map((r) => r.decodeS));
    const bothS = median(runs[name].map((r) => r.encodeS + r.decodeS));
    return { encodeS, decodeS, bothS, bytesPerRow: runs[name][0]!.bytes / rows };
  };
  const base = summary('jsonl');
  for (const name of ['jsonl', 'binary'] as const) {
    const s = summary(name);
    console.log(`| ${k} | ${name === 'jsonl' ? 'JSONL' : 'binary'} | ${kRows(s.encodeS)} | ${kRows(s.decodeS)} | ${kRows(s.bothS)} | ${s.bytesPerRow.toFixed(1)} | ${(base.bothS / s.bothS).toFixed(2)}x | ${(s.bytesPerRow / base.bytesPerRow).toFixed(2)} |`);
  }
}
