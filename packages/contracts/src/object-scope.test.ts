import { checkInputLocation, checkInputUri, checkKeyPrefix, checkObjectKey, checkOutputPrefix, parseInputUri, parseObjectScope, parseObjectUri, policyProblems, type ScopePolicy } from './object-scope.js';

const policy: ScopePolicy = {
  runBucket: 'datashunt',
  inputScopes: [{ bucket: 'datashunt', prefix: 'datasets/' }, { bucket: 'team-data', prefix: 'exports/' }],
  outputPrefixes: ['runs/'],
  reservedPrefixes: ['manifests/', 'models/', 'distill/'],
};

describe('object keys', () => {
  it.each([
    ['../other-bucket/key', '".." segments'],
    ['datasets/../models/x/pointers/specific.json', '".." segments'],
    ['datasets/./x', '"." segments'],
    ['/abs/key', 'must not start with "/"'],
    ['datasets//x', 'empty segments'],
    ['datasets/x\u0000y', 'control character'],
    ['datasets/x\ny', 'control character'],
    ['datasets\\x', '"\\"'],
    ['file:///etc/passwd', 'not a URL'],
    ['', 'empty'],
    ['datasets/', 'folder'],
  ])('refuses %j', (key, reason) => {
    const checked = checkObjectKey(key);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toContain(reason);
  });

  it('accepts ordinary keys, unicode included', () => {
    expect(checkObjectKey('datasets/tickets nov/été.jsonl')).toEqual({ ok: true, value: 'datasets/tickets nov/été.jsonl' });
  });

  it('normalises prefixes to end in "/" and refuses escaping ones', () => {
    expect(checkKeyPrefix('runs')).toEqual({ ok: true, value: 'runs/' });
    expect(checkKeyPrefix('')).toEqual({ ok: true, value: '' });
    expect(checkKeyPrefix('../../../../outside/').ok).toBe(false);
    expect(checkKeyPrefix('/abs/').ok).toBe(false);
    expect(checkKeyPrefix('s3://other/').ok).toBe(false);
  });
});

describe('object URIs', () => {
  it('reads s3://bucket/key and bare keys in the run bucket', () => {
    expect(parseObjectUri('s3://team-data/exports/a.jsonl', 'datashunt')).toEqual({ ok: true, value: { bucket: 'team-data', key: 'exports/a.jsonl' } });
    expect(parseObjectUri('datasets/a.jsonl', 'datashunt')).toEqual({ ok: true, value: { bucket: 'datashunt', key: 'datasets/a.jsonl' } });
  });

  it.each(['s3://', 's3://bucket', 's3://bucket/', 's3:///key', 'http://evil/x', 'gs://b/k', 'S3://b/k', 's3://Bad_Bucket/k', 's3://b/../k'])('refuses %j', (uri) => {
    expect(parseObjectUri(uri, 'datashunt').ok).toBe(false);
  });
});

describe('input prefixes', () => {
  it('reads a URI ending in "/" as a prefix, and anything else as one object', () => {
    expect(parseInputUri('datasets/parts/', 'datashunt')).toEqual({ ok: true, value: { bucket: 'datashunt', key: 'datasets/parts/', isPrefix: true } });
    expect(parseInputUri('s3://team-data/', 'datashunt')).toEqual({ ok: true, value: { bucket: 'team-data', key: '', isPrefix: true } });
    expect(parseInputUri('datasets/a.jsonl', 'datashunt')).toEqual({ ok: true, value: { bucket: 'datashunt', key: 'datasets/a.jsonl', isPrefix: false } });
    for (const bad of ['datasets/../models/', 'datasets//', '/abs/', 'http://x/y/']) expect(parseInputUri(bad, 'datashunt').ok).toBe(false);
  });

  it('keeps a prefix inside the scopes, and away from the system prefixes above and below it', () => {
    expect(checkInputLocation('datasets/parts/', policy).ok).toBe(true);
    expect(checkInputLocation('s3://team-data/exports/', policy).ok).toBe(true);
    expect(checkInputLocation('private/', policy).ok).toBe(false);
    const wide = { ...policy, inputScopes: [{ bucket: 'datashunt', prefix: '' }] };
    const root = checkInputLocation('s3://datashunt/', wide);
    expect(root).toEqual({ ok: false, message: 'input.uri s3://datashunt/ contains "manifests/", where the system keeps its own objects, which are never read as input' });
    expect(checkInputLocation('models/', wide)).toEqual({ ok: false, message: expect.stringContaining('lies under "models/"') });
  });

  it('still takes only an object where one is meant (checkInputUri)', () => {
    expect(checkInputUri('datasets/parts/', policy)).toEqual({ ok: false, message: expect.stringContaining('names a folder') });
  });
});

describe('scopes', () => {
  it('lets input come only from the readable scopes', () => {
    expect(checkInputUri('datasets/a.jsonl', policy).ok).toBe(true);
    expect(checkInputUri('s3://team-data/exports/b.jsonl', policy).ok).toBe(true);
    const foreign = checkInputUri('s3://other-bucket/datasets/a.jsonl', policy);
    expect(foreign.ok).toBe(false);
    if (!foreign.ok) expect(foreign.message).toContain('outside the readable scopes');
  });

  it.each(['manifests/m.json', 'models/spam/pointers/specific.json', 'runs/x/results.jsonl', 'distill/m/s/distill-set.jsonl'])(
    'never reads the system object %j, even under a scope that covers the whole bucket',
    (key) => {
      const wide = { ...policy, inputScopes: [{ bucket: 'datashunt', prefix: '' }] };
      const checked = checkInputUri(key, wide);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.message).toContain('system');
    },
  );

  it('allows only the configured output prefixes', () => {
    expect(checkOutputPrefix('runs/', policy)).toEqual({ ok: true, value: 'runs/' });
    expect(checkOutputPrefix('runs', policy)).toEqual({ ok: true, value: 'runs/' });
    for (const bad of ['models/', 'manifests/', 'runs/other-run/', '', '../../../../outside/']) expect(checkOutputPrefix(bad, policy).ok).toBe(false);
  });

  it('parses operator scopes and flags output prefixes that overlap system prefixes', () => {
    expect(parseObjectScope('team-data/exports')).toEqual({ ok: true, value: { bucket: 'team-data', prefix: 'exports/' } });
    expect(parseObjectScope('s3://team-data')).toEqual({ ok: true, value: { bucket: 'team-data', prefix: '' } });
    expect(parseObjectScope('team-data/../x').ok).toBe(false);
    expect(policyProblems({ ...policy, outputPrefixes: ['models/out/'] })).toEqual(['output prefix "models/out/" overlaps the system prefix "models/"']);
  });
});
