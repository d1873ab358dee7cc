import { EndpointCatalogSchema, type ScopePolicy } from '@datashunt/contracts';
import { checkManifest, checkManifestPolicy, closestName } from './manifest-validation.js';

const valid = {
  task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this mail spam?' },
  input: { uri: 'datasets/spam/test.jsonl' },
  smallModel: { name: 'spam-text' },
  largeModel: { model: 'gpt-4o-mini', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 600 },
  delta: 0.97,
  budgetUsd: 5,
};

describe('checkManifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const check = checkManifest(Buffer.from(JSON.stringify(valid)));
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(check.manifest.promptMode).toBe('soft');
      expect(check.manifest.output.prefix).toBe('runs/');
      expect(check.manifest.shardSize).toBe(5000);
    }
  });

  it('names the field path and reason of each problem', () => {
    const bad = { ...valid, delta: 1.5, task: { ...valid.task, labels: ['a', 'a'] } };
    const check = checkManifest(Buffer.from(JSON.stringify(bad)));
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.issues.map((i) => i.path).sort()).toEqual(['delta', 'task.labels']);
      expect(check.message).toContain('labels must be unique');
    }
  });

  it('takes largeModel.mode "batch" only with the batch price, and defaults to sync', () => {
    const sync = checkManifest(Buffer.from(JSON.stringify(valid)));
    expect(sync.ok && sync.manifest.largeModel.mode).toBe('sync');
    const unpriced = checkManifest(Buffer.from(JSON.stringify({ ...valid, largeModel: { ...valid.largeModel, mode: 'batch' } })));
    expect(unpriced.ok).toBe(false);
    if (!unpriced.ok) expect(unpriced.issues).toEqual([{ path: 'largeModel.pricing.batch', message: expect.stringMatching(/needs the batch price/) }]);
    const negative = checkManifest(Buffer.from(JSON.stringify({ ...valid, largeModel: { ...valid.largeModel, mode: 'batch', pricing: { ...valid.largeModel.pricing, batch: { inputPer1M: -1, outputPer1M: 0.3 } } } })));
    expect(negative.ok).toBe(false);
    const priced = checkManifest(Buffer.from(JSON.stringify({ ...valid, largeModel: { ...valid.largeModel, mode: 'batch', pricing: { ...valid.largeModel.pricing, batch: { inputPer1M: 0.075, outputPer1M: 0.3 } } } })));
    expect(priced.ok && priced.manifest.largeModel.mode).toBe('batch');
  });

  it('reports JSON that does not parse', () => {
    const check = checkManifest(Buffer.from('{"task": '));
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toBe('manifest is not valid JSON');
  });
});

describe('unknown and forbidden fields', () => {
  const issuesOf = (manifest: unknown) => {
    const check = checkManifest(Buffer.from(JSON.stringify(manifest)));
    if (check.ok) throw new Error('expected a refusal');
    return check.issues;
  };

  it('names a misspelt field and suggests the known one', () => {
    const issues = issuesOf({ ...valid, promptmode: 'hard', shardsize: 10, budgetUSD: 3, largeModel: { ...valid.largeModel, temprature: 0 } });
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath.promptmode).toMatch(/unknown field "promptmode"; did you mean "promptMode"/);
    expect(byPath.shardsize).toMatch(/did you mean "shardSize"/);
    expect(byPath.budgetUSD).toMatch(/did you mean "budgetUsd"/);
    expect(byPath['largeModel.temprature']).toMatch(/did you mean "temperature"/);
  });

  it('refuses a raw endpoint URL or key and says how to declare an endpoint', () => {
    const issues = issuesOf({ ...valid, largeModel: { ...valid.largeModel, baseURL: 'http://127.0.0.1:7203/v1', apiKey: 'sk-x' } });
    expect(issues.map((i) => i.path).sort()).toEqual(['largeModel.apiKey', 'largeModel.baseURL']);
    for (const issue of issues) expect(issue.message).toContain('LLM_ENDPOINTS');
  });

  it.each([
    ['s3://', 'input.uri'],
    ['s3://bucket', 'input.uri'],
    ['s3:///key', 'input.uri'],
    ['http://evil.example/x.jsonl', 'input.uri'],
    ['gs://b/k', 'input.uri'],
    ['../other-bucket/key', 'input.uri'],
  ])('refuses the input %j at parse time', (uri, path) => {
    expect(issuesOf({ ...valid, input: { uri } }).map((i) => i.path)).toEqual([path]);
  });

  it.each(['/abs/', 's3://other/', '../../../../outside/'])('refuses the output prefix %j at parse time', (prefix) => {
    expect(issuesOf({ ...valid, output: { prefix } }).map((i) => i.path)).toEqual(['output.prefix']);
  });

  it('refuses model names and versions that would leave the registry folder', () => {
    expect(issuesOf({ ...valid, smallModel: { name: '..', version: '../../runs/x' } }).map((i) => i.path).sort()).toEqual(['smallModel.name', 'smallModel.version']);
  });

  it('suggests only plausible names', () => {
    expect(closestName('shardsize', ['shardSize', 'delta'])).toBe('shardSize');
    expect(closestName('zzzzzzzz', ['shardSize', 'delta'])).toBeUndefined();
  });
});

describe('input and output formats', () => {
  const issuesOf = (over: object) => {
    const check = checkManifest(Buffer.from(JSON.stringify({ ...valid, ...over })));
    return check.ok ? [] : check.issues;
  };

  it('accepts a field mapping, formats and carried columns', () => {
    expect(issuesOf({ input: { uri: 'datasets/t.csv', format: 'csv', fields: { id: 'ticket', text: 'body', label: 'category' } }, output: { include: ['subject'], formats: ['jsonl', 'csv', 'parquet'], probabilities: true } })).toEqual([]);
  });

  it.each([
    [{ input: { uri: 'datasets/t', format: 'xlsx' } }, 'input.format'],
    [{ input: { uri: 'datasets/t', fields: { text: 'a', image: 'b' } } }, 'input.fields'],
    [{ input: { uri: 'datasets/t', fields: { image: 'png' } } }, 'input.fields.image'],
    [{ input: { uri: 'datasets/t', fields: { id: 'x', text: 'x' } } }, 'input.fields.text'],
    [{ input: { uri: 'datasets/t', fields: { body: 'x' } } }, 'input.fields.body'],
    [{ output: { formats: ['jsonl', 'xlsx'] } }, 'output.formats.1'],
    [{ output: { formats: ['csv', 'csv'] } }, 'output.formats'],
    [{ output: { include: ['a', 'a'] } }, 'output.include'],
    [{ output: { include: [''] } }, 'output.include.0'],
    [{ output: { include: ['label'], formats: ['csv'] } }, 'output.include'],
    [{ output: { include: ['p_spam'], formats: ['parquet'], probabilities: true } }, 'output.include'],
  ])('refuses %j at %s', (over, path) => {
    expect(issuesOf(over).map((i) => i.path)).toContain(path);
  });

  it('lets a carried column share a results name when only JSONL is written (it sits under "columns" there)', () => {
    expect(issuesOf({ output: { include: ['label'] } })).toEqual([]);
  });

  it('suggests the known name for a misspelt mapping entry', () => {
    expect(issuesOf({ input: { uri: 'datasets/t', fields: { txet: 'body' } } })[0]!.message).toMatch(/did you mean "text"/);
  });
});

describe('checkManifestPolicy', () => {
  const scopes: ScopePolicy = { runBucket: 'datashunt', inputScopes: [{ bucket: 'datashunt', prefix: 'datasets/' }], outputPrefixes: ['runs/'], reservedPrefixes: ['manifests/', 'models/', 'distill/'] };
  const endpoints = EndpointCatalogSchema.parse({ default: { baseURL: 'https://api.example/v1', apiKeyEnv: 'K', maxRequestsPerMinute: 1000 } });
  const parse = (over: object) => {
    const check = checkManifest(Buffer.from(JSON.stringify({ ...valid, ...over })));
    if (!check.ok) throw new Error(check.message);
    return check.manifest;
  };

  it('accepts a manifest within the operator policy and gives the input location', () => {
    expect(checkManifestPolicy(parse({}), { scopes, endpoints })).toEqual({ ok: true, input: { bucket: 'datashunt', key: 'datasets/spam/test.jsonl', isPrefix: false } });
  });

  it('takes a URI ending in "/" as a prefix, and refuses one that would list system objects', () => {
    expect(checkManifestPolicy(parse({ input: { uri: 'datasets/parts/' } }), { scopes, endpoints })).toEqual({ ok: true, input: { bucket: 'datashunt', key: 'datasets/parts/', isPrefix: true } });
    const wide = { ...scopes, inputScopes: [{ bucket: 'datashunt', prefix: '' }] };
    const check = checkManifestPolicy(parse({ input: { uri: 's3://datashunt/' } }), { scopes: wide, endpoints });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.issues).toEqual([{ path: 'input.uri', message: expect.stringContaining('contains "manifests/"') }]);
  });

  it('names each policy problem', () => {
    const manifest = parse({
      input: { uri: 'models/spam-text/pointers/specific.json' },
      output: { prefix: 'models/' },
      largeModel: { ...valid.largeModel, endpoint: 'evil', rateLimitRpm: 10 },
    });
    const check = checkManifestPolicy(manifest, { scopes, endpoints });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.issues.map((i) => i.path)).toEqual(['input.uri', 'output.prefix', 'largeModel.endpoint']);
  });

  it('lets a manifest ask for less than the endpoint ceiling, never more', () => {
    expect(checkManifestPolicy(parse({ largeModel: { ...valid.largeModel, rateLimitRpm: 1000 } }), { scopes, endpoints }).ok).toBe(true);
    const over = checkManifestPolicy(parse({ largeModel: { ...valid.largeModel, rateLimitRpm: 1001 } }), { scopes, endpoints });
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.message).toContain('ceiling of 1000');
  });
});
