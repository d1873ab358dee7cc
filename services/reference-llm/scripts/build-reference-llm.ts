/**
 * Builds one stand-in for the reference large model from a training JSONL.
 *
 *   node_modules/.bin/tsx services/reference-llm/scripts/build-reference-llm.ts \
 *     --train .data/datasets/spam/train.jsonl --task spam [--per-class 100] [--seed 1] [--out .data/reference-llm]
 *
 * Reads @datashunt/algorithms and @datashunt/contracts from their dist folders (build them first).
 */
import { parseArgs } from 'node:util';
import { buildStandIn, writeStandIn } from '../src/build-stand-in.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string' },
    task: { type: 'string' },
    'per-class': { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: process.env.REFERENCE_LLM_MODELS_DIR ?? '.data/reference-llm' },
  },
});
if (!values.train || !values.task) {
  console.error('usage: build-reference-llm.ts --train <train.jsonl> --task <name> [--per-class N] [--seed S] [--out DIR]');
  process.exit(2);
}
const model = await buildStandIn({ trainPath: values.train, task: values.task, perClass: Number(values['per-class']), seed: Number(values.seed) });
const path = await writeStandIn(values.out!, model);
console.log(JSON.stringify({ wrote: path, kind: model.kind, labels: model.labels.length, perClass: model.perClass, temperature: model.temperature }));
