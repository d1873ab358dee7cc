import { createHash } from 'node:crypto';
import { manifestErrorKey } from './keys.js';

describe('manifestErrorKey', () => {
  it('is the cleaned manifest name plus 8 hex of the sha256 of the full key', () => {
    const hash = createHash('sha256').update('manifests/team a/spam run.json').digest('hex').slice(0, 8);
    expect(manifestErrorKey('runs', 'manifests/team a/spam run.json')).toBe(`runs/spam_run-${hash}/error.json`);
  });

  it('differs for manifests whose names clean to the same string', () => {
    const keys = ['manifests/a b.json', 'manifests/a_b.json', 'manifests/x/a b.json', 'manifests/a?b.json'].map((k) => manifestErrorKey('runs/', k));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^runs\/a_b-[0-9a-f]{8}\/error\.json$/);
  });
});
