import { checkRow } from './row-validation.js';

const task = { type: 'classification' as const, labels: ['ham', 'spam'], instruction: 'x', inputKind: 'text' as const };
const quiet = { excerpts: false };

describe('checkRow', () => {
  it('accepts a valid row, extra fields included', () => {
    expect(checkRow(3, '{"id":"a","input":"hello","label":"spam","group":"x"}', task, quiet)).toBeUndefined();
    expect(checkRow(4, '{"id":7,"input":"hello"}', task, quiet)).toBeUndefined();
  });

  it.each([
    ['{"id":"a","input":"hi"', 'not valid JSON'],
    ['\u0000\u0001\u001f\u008b binary', 'not valid JSON'],
    ['{"id":"a"}', 'input:'],
    ['{"id":"a","input":""}', 'input:'],
    ['{"id":"a","input":[1,2]}', 'input must be a string'],
    ['{"id":"a","input":"x","label":"eggs"}', "label is not one of the task's labels (ham, spam)"],
    ['[1,2,3]', '(row)'],
    ['', 'blank line'],
    [' \t\r', 'blank line'],
  ])('rejects %j naming the line and the problem', (text, reason) => {
    const out = checkRow(7, text, task, quiet);
    expect(out?.reject.line).toBe(7);
    expect(out?.reject.reason).toMatch(/^line 7: /);
    expect(out?.reject.reason).toContain(reason);
  });

  it('echoes nothing of the line unless excerpts are enabled', () => {
    const secret = '{"id":"a","input":"top-secret-token","label":"eggs"}';
    for (const text of [secret, 'top-secret-token garbage', '{"id":"a","input":"top-secret-token" trailing']) {
      const quietReject = checkRow(2, text, task, quiet)!.reject;
      expect(quietReject.excerpt).toBeUndefined();
      expect(JSON.stringify(quietReject)).not.toContain('top-secret');
      expect(JSON.stringify(quietReject)).not.toContain('eggs');
      expect(checkRow(2, text, task, { excerpts: true })!.reject.excerpt).toBe(text.slice(0, 120));
    }
  });

  it('says where JSON parsing stopped', () => {
    expect(checkRow(1, '{"id":1,,}', task, quiet)?.reject.reason).toBe('line 1: not valid JSON (at character 9)');
  });

  it('keeps the id of a row that fails validation when it has one', () => {
    const out = checkRow(1, '{"id":42,"input":null}', task, quiet);
    expect(out?.reject.id).toBe(42);
  });
});
