import { checkRow } from './row-validation.js';

const task = { type: 'classification' as const, labels: ['ham', 'spam'], instruction: 'x', inputKind: 'text' as const };

describe('checkRow', () => {
  it('accepts a valid row, extra fields included', () => {
    expect(checkRow(3, '{"id":"a","input":"hello","label":"spam","group":"x"}', task)).toBeUndefined();
    expect(checkRow(4, '{"id":7,"input":"hello"}', task)).toBeUndefined();
  });

  it.each([
    ['{"id":"a","input":"hi"', 'not valid JSON'],
    ['{"id":"a"}', 'input:'],
    ['{"id":"a","input":""}', 'input:'],
    ['{"id":"a","input":[1,2]}', 'input must be a string'],
    ['{"id":"a","input":"x","label":"eggs"}', 'label "eggs" is not one of'],
    ['[1,2,3]', '(row)'],
  ])('rejects %s with a reason', (text, reason) => {
    const out = checkRow(7, text, task);
    expect(out?.reject.line).toBe(7);
    expect(out?.reject.reason).toContain(reason);
  });

  it('keeps the id of a row that fails validation when it has one', () => {
    const out = checkRow(1, '{"id":42,"input":null}', task);
    expect(out?.reject.id).toBe(42);
  });
});
