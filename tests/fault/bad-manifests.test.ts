import { ManifestErrorSchema } from '@datashunt/contracts';
import { getJson, putBytes } from '@datashunt/storage';
import { badManifests, CATALOGUE_INPUTS, validManifest } from '../support/bad-manifests';
import { startSpamStack, type TestStack, toJsonl } from '../support/stack';

/**
 * Every manifest of the catalogue ends, within one ingest attempt, with an error.json of its own that
 * names the field at fault; none starts a shard.
 */
describe('a catalogue of bad manifests', () => {
  let stack: TestStack;
  const cases = badManifests('datasets/catalogue.jsonl');

  beforeAll(async () => {
    const started = await startSpamStack();
    stack = started.stack;
    const { splits } = started;
    await stack.put('datasets/catalogue.jsonl', toJsonl(splits.test.slice(0, 10)));
    const { s3, bucket } = stack.runtime;
    await Promise.all(Object.entries(CATALOGUE_INPUTS).map(([key, body]) => putBytes(s3, { bucket, key }, body)));
  });
  afterAll(() => stack?.dispose());

  it('holds at least 250 cases, and its base manifest is valid', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(250);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    await stack.dropManifest('manifests/catalogue-valid.json', { ...validManifest('datasets/catalogue.jsonl'), name: 'catalogue-valid' });
    expect((await stack.watcher.wait('manifests/catalogue-valid.json', 120_000)).status).toBe('finished');
  });

  it('refuses each with its own error.json naming the field, in one attempt', async () => {
    const { s3, bucket } = stack.runtime;
    const keyOf = (i: number) => `manifests/bad-${String(i).padStart(3, '0')}.json`;
    await Promise.all(cases.map((c, i) => putBytes(s3, { bucket, key: keyOf(i) }, c.body, 'application/json')));
    await Promise.all(cases.map((_, i) => stack.announce(keyOf(i))));
    const outcomes = await Promise.all(cases.map((_, i) => stack.watcher.wait(keyOf(i), 300_000)));

    const wrong: string[] = [];
    const errorKeys = new Set<string>();
    for (const [i, outcome] of outcomes.entries()) {
      const c = cases[i]!;
      if (outcome.status !== 'invalid') {
        wrong.push(`${c.name}: ${outcome.status}`);
        continue;
      }
      errorKeys.add(outcome.errorKey);
      const error = ManifestErrorSchema.parse(await getJson(s3, { bucket, key: outcome.errorKey }));
      if (error.manifestKey !== keyOf(i)) wrong.push(`${c.name}: error.json names ${error.manifestKey}`);
      if (c.path !== '' && !error.issues.some((issue) => issue.path === c.path || issue.path.startsWith(`${c.path}.`))) wrong.push(`${c.name}: issues ${JSON.stringify(error.issues.map((x) => x.path))}, wanted ${c.path}`);
      if (!error.message.trim()) wrong.push(`${c.name}: empty message`);
    }
    expect(wrong).toEqual([]);
    expect(errorKeys.size).toBe(cases.length);

    const ingestJobs = await stack.runtime.queues.queue('ingest').getJobs(['completed', 'failed']);
    const ours = ingestJobs.filter((j) => j.name === 'manifest-ingest' && String(j.data.key).startsWith('manifests/bad-'));
    expect(ours).toHaveLength(cases.length);
    expect(ours.filter((j) => j.attemptsMade > 1 || j.failedReason)).toEqual([]);
    expect(await stack.runtime.queues.queue('score').getJobCountByTypes('completed', 'waiting', 'active', 'failed')).toBe(1);
  });

  it('gives two manifests whose names clean to the same string their own error.json', async () => {
    const bad = JSON.stringify({ ...validManifest('datasets/catalogue.jsonl'), delta: 7 });
    const { s3, bucket } = stack.runtime;
    await putBytes(s3, { bucket, key: 'manifests/a b.json' }, bad);
    await putBytes(s3, { bucket, key: 'manifests/a_b.json' }, bad);
    await Promise.all([stack.announce('manifests/a b.json'), stack.announce('manifests/a_b.json')]);
    const [first, second] = await Promise.all([stack.watcher.wait('manifests/a b.json', 60_000), stack.watcher.wait('manifests/a_b.json', 60_000)]);
    if (first!.status !== 'invalid' || second!.status !== 'invalid') throw new Error('both manifests must be refused');
    expect(first!.errorKey).not.toBe(second!.errorKey);
  });
});
