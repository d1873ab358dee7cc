import type { Manifest, ModelMeta } from '@datashunt/contracts';
import { compareModelToTask } from './model-check.js';

const meta = {
  name: 'spam-text',
  version: 'v1',
  labels: ['ham', 'spam'],
  featurizer: { kind: 'hashed-ngrams' },
} as unknown as ModelMeta;
const task: Manifest['task'] = { type: 'classification', labels: ['ham', 'spam'], instruction: 'Spam?', inputKind: 'text' };

describe('compareModelToTask', () => {
  it('accepts the same labels, and maps another order to the model order by name', () => {
    expect(compareModelToTask(meta, task)).toEqual({ ok: true, labels: ['ham', 'spam'] });
    expect(compareModelToTask(meta, { ...task, labels: ['spam', 'ham'] })).toEqual({ ok: true, labels: ['ham', 'spam'] });
  });

  it('names labels the model does not know and labels the task lacks', () => {
    const check = compareModelToTask(meta, { ...task, labels: ['ham', 'phishing'] });
    expect(check).toEqual({ ok: false, issues: [{ path: 'task.labels', message: expect.stringMatching(/not known to the model: phishing; missing from the task: spam/) }] });
  });

  it('refuses a text task for an image model, saying which inputKind to set', () => {
    const image = { ...meta, featurizer: { kind: 'pixels' } } as unknown as ModelMeta;
    const check = compareModelToTask(image, task);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.issues[0]).toEqual({ path: 'task.inputKind', message: expect.stringContaining('set task.inputKind to "image"') });
  });
});
