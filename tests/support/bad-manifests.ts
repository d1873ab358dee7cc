/**
 * A catalogue of manifests that must each be refused with an error.json naming the field: generated
 * from one valid manifest by removing, retyping, stretching and misspelling every field, plus the
 * hostile and plan-time cases found by hand. Each case says which field path its error must name.
 */
export interface BadManifest {
  name: string;
  /** The manifest's raw bytes (some are not JSON at all). */
  body: string;
  /** A field path the error.json must name, or one under it ('' for a file that is not a JSON object). */
  path: string;
}

type Json = Record<string, unknown>;

export function validManifest(inputKey: string): Json {
  return {
    name: 'catalogue',
    task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam?', inputKind: 'text' },
    input: { uri: inputKey, format: 'jsonl', fields: { id: 'id', text: 'input', label: 'label' } },
    smallModel: { name: 'spam-text', useLearnable: true },
    largeModel: { endpoint: 'default', model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 600, maxOutputTokens: 8, temperature: 0 },
    delta: 0.95,
    strategy: 'shunt',
    promptMode: 'soft',
    promptPruneThreshold: 0.01,
    budgetUsd: 1,
    maxRejectShare: 0.5,
    output: { prefix: 'runs/', include: ['input'], formats: ['jsonl', 'csv', 'parquet'], probabilities: true },
    shardSize: 100,
    purpose: 'production',
  };
}

function withPath(manifest: Json, path: string, value: unknown): Json {
  const copy = structuredClone(manifest);
  const parts = path.split('.');
  let node = copy as Json;
  for (const part of parts.slice(0, -1)) node = node[part] as Json;
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** Every leaf and object path of the valid manifest, e.g. "largeModel.pricing.inputPer1M". */
function fieldPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Json).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...fieldPaths(child, path)];
  });
}

const REQUIRED = ['task', 'task.type', 'task.labels', 'task.instruction', 'input', 'input.uri', 'smallModel', 'smallModel.name', 'largeModel', 'largeModel.model', 'largeModel.pricing', 'largeModel.pricing.inputPer1M', 'largeModel.pricing.outputPer1M', 'delta', 'budgetUsd'];

/** Values of the wrong type for a field that holds `sample`. */
function wrongTypes(sample: unknown): unknown[] {
  if (typeof sample === 'string') return [42, null, ['x'], { x: 1 }];
  if (typeof sample === 'number') return ['0.5', null, true, [1]];
  if (typeof sample === 'boolean') return ['yes', 1, null];
  if (Array.isArray(sample)) return ['ham,spam', null, { 0: 'ham' }];
  return ['object expected', 7, null, []];
}

/** A plausible typo of a key: case changed, a letter dropped, or two letters swapped. */
function misspellings(key: string): string[] {
  const out = new Set<string>([key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase()]);
  if (key.length > 3) out.add(key.slice(0, -1));
  if (key.length > 3) out.add(`${key.slice(0, 1)}${key.slice(2, 3)}${key.slice(1, 2)}${key.slice(3)}`);
  out.delete(key);
  return [...out];
}

/** Objects the plan-time cases read, by key: a Parquet file with a JSONL name, a CSV whose columns are id, body and category, and a prefix holding a zip archive. */
export const CATALOGUE_INPUTS: Record<string, Buffer> = {
  'datasets/catalogue-parquet.jsonl': Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64), Buffer.from('PAR1')]),
  'datasets/catalogue.csv': Buffer.from('id,body,category\n1,hello,ham\n'),
  'datasets/catalogue-prefix/a.jsonl': Buffer.from('{"id":1,"input":"hello"}\n'),
  'datasets/catalogue-prefix/b.jsonl': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]),
};

export function badManifests(inputKey: string): BadManifest[] {
  const valid = validManifest(inputKey);
  const cases: BadManifest[] = [];
  const add = (name: string, manifest: Json | string, path: string) =>
    cases.push({ name: `${cases.length}-${name}`, body: typeof manifest === 'string' ? manifest : JSON.stringify(manifest), path });

  for (const path of REQUIRED) add(`missing-${path}`, withPath(valid, path, undefined), path);
  for (const path of fieldPaths(valid)) {
    const sample = path.split('.').reduce<unknown>((node, part) => (node as Json)[part], valid);
    wrongTypes(sample).forEach((value, i) => add(`type-${path}-${i}`, withPath(valid, path, value), path));
  }
  for (const path of fieldPaths(valid)) {
    const parts = path.split('.');
    const parent = parts.slice(0, -1).join('.');
    for (const typo of misspellings(parts[parts.length - 1]!)) {
      const value = path.split('.').reduce<unknown>((node, part) => (node as Json)[part], valid);
      const moved = withPath(withPath(valid, path, undefined), parent ? `${parent}.${typo}` : typo, value);
      add(`typo-${path}-${typo}`, moved, parent ? `${parent}.${typo}` : typo);
    }
  }

  const ranges: Array<[string, unknown]> = [
    ['delta', 0], ['delta', -0.1], ['delta', 1.5], ['budgetUsd', 0], ['budgetUsd', -5], ['shardSize', 0], ['shardSize', 50_001],
    ['shardSize', 1.5], ['promptPruneThreshold', -0.1], ['promptPruneThreshold', 2], ['maxRejectShare', 1.1], ['maxRejectShare', -1],
    ['largeModel.temperature', 3], ['largeModel.maxOutputTokens', 0], ['largeModel.rateLimitRpm', 0], ['largeModel.rateLimitRpm', -1],
    ['largeModel.rateLimitRpm', 1.5], ['largeModel.pricing.inputPer1M', -1], ['largeModel.pricing.outputPer1M', -0.01],
    ['strategy', 'cheapest'], ['promptMode', 'SOFT'], ['task.inputKind', 'audio'], ['task.type', 'generation'],
    ['task.labels', []], ['task.labels', ['ham']], ['task.labels', ['ham', 'ham']], ['task.labels', ['ham', '']], ['task.instruction', ''],
    ['name', 'has space'], ['name', '.hidden'], ['name', '../escape'], ['name', 'x'.repeat(81)], ['name', ''],
    ['smallModel.name', '..'], ['smallModel.name', 'a/b'], ['smallModel.name', ''], ['smallModel.version', '../../runs'], ['smallModel.version', '.'],
    ['largeModel.endpoint', 'Bad Name'], ['largeModel.endpoint', ''], ['largeModel.model', ''], ['purpose', 'training'],
    ['input.format', 'xlsx'], ['input.format', 'JSONL'], ['input.fields.text', ''], ['input.fields.id', 'x'.repeat(257)],
    ['input.fields', { text: 'input', pixels: 'px' }], ['input.fields.label', 'input'], ['input.fields.image', 'png'],
    ['output.formats', []], ['output.formats', ['xlsx']], ['output.formats', ['csv', 'csv']], ['output.include', ['']],
    ['output.include', ['a', 'a']], ['output.include', ['label']], ['output.include', ['p_spam']], ['output.include', Array.from({ length: 101 }, (_, i) => `c${i}`)],
  ];
  ranges.forEach(([path, value], i) => add(`range-${i}-${path}`, withPath(valid, path, value), path));

  const uris = ['s3://', 's3://bucket', 's3://bucket/', 's3:///key', 'http://127.0.0.1/x.jsonl', 'https://example.com/x', 'gs://bucket/key', 'file:///etc/passwd',
    'ftp://x/y', '../other-bucket/key', 'datasets/../models/x', '/abs/key', 'datasets//x.jsonl', 'datasets/./x', 'datasets/x\u0000.jsonl', 'datasets\\x',
    's3://Bad_Bucket/key', 's3://other-bucket/datasets/x.jsonl', 'models/spam-text/pointers/specific.json', 'manifests/catalogue.json', 'runs/x/results.jsonl',
    'distill/m/s/distill-set.jsonl', 'private/hr.jsonl', 'datasets/nothing-here/', 's3://other-bucket/datasets/', 'models/', 'runs/x/'];
  uris.forEach((uri, i) => add(`uri-${i}`, withPath(valid, 'input.uri', uri), 'input.uri'));

  const prefixes = ['', '/abs/', 's3://other/', '../../../../outside/', 'models/', 'manifests/', 'distill/', 'runs/other/', 'datasets/', 'runs/../models/', 'a\u0007b/'];
  prefixes.forEach((prefix, i) => add(`prefix-${i}`, withPath(valid, 'output.prefix', prefix), 'output.prefix'));

  add('raw-baseurl', withPath(valid, 'largeModel.baseURL', 'http://127.0.0.1:7203/v1'), 'largeModel.baseURL');
  add('api-key', withPath(valid, 'largeModel.apiKey', 'sk-x'), 'largeModel.apiKey');
  add('unknown-endpoint', withPath(valid, 'largeModel.endpoint', 'exfil'), 'largeModel.endpoint');
  add('above-ceiling', withPath(valid, 'largeModel.rateLimitRpm', 100_000_000), 'largeModel.rateLimitRpm');
  add('no-such-model', withPath(valid, 'smallModel.name', 'no-such-model'), 'smallModel.name');
  add('no-such-version', withPath(valid, 'smallModel.version', 'v-does-not-exist'), 'smallModel.version');
  // Without the text mapping, which an image task would refuse first.
  add('image-kind', withPath(withPath(valid, 'task.inputKind', 'image'), 'input.fields', undefined), 'task.inputKind');
  add('other-labels', withPath(valid, 'task.labels', ['ham', 'phishing']), 'task.labels');
  add('missing-input', withPath(valid, 'input.uri', 'datasets/does-not-exist.jsonl'), 'input.uri');
  // Found only by looking at the input (see CATALOGUE_INPUTS).
  add('declared-parquet', withPath(valid, 'input.format', 'parquet'), 'input.format');
  add('parquet-named-jsonl', withPath(withPath(valid, 'input.uri', 'datasets/catalogue-parquet.jsonl'), 'input.format', undefined), 'input.uri');
  add('csv-mapped-column-missing', withPath(withPath(valid, 'input.uri', 'datasets/catalogue.csv'), 'input.format', 'csv'), 'input.fields.text');
  add('csv-default-column-missing', withPath(withPath(withPath(valid, 'input.uri', 'datasets/catalogue.csv'), 'input.format', undefined), 'input.fields', undefined), 'input.fields');
  add('csv-include-missing', withPath(withPath(withPath(valid, 'input.uri', 'datasets/catalogue.csv'), 'input.format', undefined), 'input.fields', { text: 'body' }), 'output.include');
  add('prefix-binary-object', withPath(withPath(valid, 'input.uri', 'datasets/catalogue-prefix/'), 'input.format', undefined), 'input.uri');
  add('image-for-text-model', withPath(withPath(withPath(valid, 'task.inputKind', 'image'), 'input.fields', { image: 'input' }), 'input.format', undefined), 'task.inputKind');

  add('not-json', '{"task": ', '');
  add('empty-file', '', '');
  add('json-array', '[]', '');
  add('json-string', '"manifest"', '');
  add('json-null', 'null', '');
  add('binary', '\u0000\u0001\u0002', '');
  return cases;
}
