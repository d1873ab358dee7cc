import { redactRowText } from './redact.js';

describe('redactRowText', () => {
  it('replaces row text and pixel inputs at any depth by their size and keeps references', () => {
    const data = { runId: 'r1', line: 7, rowId: 'row-7', input: 'Buy cheap meds now', probs: [0.4, 0.6], nested: [{ text: 'hello' }, { input: [1, 2, 3] }] };
    expect(redactRowText(data)).toEqual({
      runId: 'r1',
      line: 7,
      rowId: 'row-7',
      input: '[redacted 18 chars]',
      probs: [0.4, 0.6],
      nested: [{ text: '[redacted 5 chars]' }, { input: '[redacted 3 values]' }],
    });
  });

  it('leaves data without row text as it is', () => {
    expect(redactRowText({ bucket: 'b', key: 'manifests/a.json', etag: 'e' })).toEqual({ bucket: 'b', key: 'manifests/a.json', etag: 'e' });
    expect(redactRowText(undefined)).toBeUndefined();
  });
});
