import type { FeaturizerConfig, ModelMeta } from '@datashunt/contracts';
import { SignatureMismatchError } from './errors.js';
import type { FeedType } from './feeds.js';

/** What onnxruntime reports of a model input or output (InferenceSession.ValueMetadata). */
export type ValueMetadata = { name: string; isTensor: false } | { name: string; isTensor: true; type: string; shape: ReadonlyArray<number | string> };

/** How the featurizer must shape its tensors for this model, as learned from the model's inputs. */
export interface InputPlan {
  /** Element type the model declares per input name. */
  types: Record<string, FeedType>;
  /** Static length dimension of token inputs, when the model has one. */
  fixedLength?: number;
}

const ID_TYPES: FeedType[] = ['int64', 'int32'];
const MASK_TYPES: FeedType[] = ['float32', 'int64', 'int32'];

/**
 * Checks a model's inputs and output against the featurizer spec and the label list, collecting every
 * problem into one SignatureMismatchError. Output widths that are symbolic here are checked by a probe
 * run (see openModel).
 */
export function checkSignature(
  inputs: readonly ValueMetadata[],
  outputs: readonly ValueMetadata[],
  meta: Pick<ModelMeta, 'featurizer' | 'labels' | 'output'>,
): InputPlan {
  const problems: string[] = [];
  const plan: InputPlan = { types: {} };
  const expected = expectedInputs(meta.featurizer);
  for (const want of expected) {
    const got = inputs.find((i) => i.name === want.name);
    if (!got) {
      problems.push(`the featurizer feeds input "${want.name}", which the model does not have (inputs: ${names(inputs)})`);
      continue;
    }
    if (!got.isTensor || !want.types.includes(got.type as FeedType)) {
      problems.push(`input "${want.name}" is ${got.isTensor ? got.type : 'not a tensor'}; expected ${want.types.join(' or ')}`);
      continue;
    }
    plan.types[want.name] = got.type as FeedType;
    if (got.shape.length !== want.dims.length) {
      problems.push(`input "${want.name}" has shape [${got.shape.join(', ')}]; expected ${want.dims.length} dimensions [batch, ${want.dims.slice(1).map((d) => d ?? 'length').join(', ')}]`);
      continue;
    }
    if (typeof got.shape[0] === 'number' && got.shape[0] !== 1 && got.shape[0] !== -1) {
      problems.push(`input "${want.name}" has a fixed batch size ${got.shape[0]}; the batch dimension must be dynamic`);
    }
    want.dims.forEach((dim, k) => {
      const actual = got.shape[k];
      if (k === 0 || typeof actual !== 'number' || actual < 0) return;
      if (dim === null) plan.fixedLength = actual;
      else if (actual !== dim) problems.push(`input "${want.name}" dimension ${k} is ${actual}; the featurizer gives ${dim}`);
    });
  }
  for (const input of inputs) {
    if (!expected.some((e) => e.name === input.name)) problems.push(`model input "${input.name}" is not fed by the ${meta.featurizer.kind} featurizer`);
  }

  const out = outputs.find((o) => o.name === meta.output.name);
  if (!out) problems.push(`output "${meta.output.name}" not found (outputs: ${names(outputs)})`);
  else if (!out.isTensor || out.type !== 'float32') problems.push(`output "${out.name}" must be a float32 tensor`);
  else if (out.shape.length !== 2) problems.push(`output "${out.name}" has shape [${out.shape.join(', ')}]; expected [batch, ${meta.labels.length}]`);
  else if (typeof out.shape[1] === 'number' && out.shape[1] >= 0 && out.shape[1] !== meta.labels.length) {
    problems.push(outputWidthProblem(out.name, out.shape[1], meta.labels.length));
  }
  if (problems.length > 0) throw new SignatureMismatchError(`model does not match its spec: ${problems.join('; ')}`);
  return plan;
}

export function outputWidthProblem(output: string, width: number, labels: number): string {
  return `output "${output}" has ${width} classes but the label list has ${labels}`;
}

/** Inputs the featurizer produces; a null dimension is the token length (any, or the model's fixed one). */
function expectedInputs(f: FeaturizerConfig): Array<{ name: string; types: FeedType[]; dims: Array<number | null> }> {
  if (f.kind === 'pixels') return [{ name: f.inputName, types: ['float32'], dims: [0, ...f.shape] }];
  const ids = { name: f.inputName, types: ID_TYPES, dims: [0, null] };
  return f.maskName ? [ids, { name: f.maskName, types: MASK_TYPES, dims: [0, null] }] : [ids];
}

function names(values: readonly ValueMetadata[]): string {
  return values.map((v) => `"${v.name}"`).join(', ') || 'none';
}
