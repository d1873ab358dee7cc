import type { Manifest } from '@datashunt/contracts';
import { columnIssues } from './input-objects.js';
import { rowMapping } from '@datashunt/formats';

const manifest = (fields?: Manifest['input']['fields'], include?: string[]) =>
  ({ task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'x', inputKind: 'text' }, input: { uri: 'datasets/t.csv', ...(fields ? { fields } : {}) }, output: { prefix: 'runs/', ...(include ? { include } : {}) } }) as Manifest;
const issues = (columns: string[], m: Manifest) => columnIssues(columns, 'csv', m, rowMapping(m));

describe('columnIssues', () => {
  it('finds nothing to say when the mapped and carried columns are there once', () => {
    const m = manifest({ id: 'ticket', text: 'body', label: 'category' }, ['subject']);
    expect(issues(['ticket', 'subject', 'body', 'category'], m)).toEqual([]);
    // The default label column is optional: without it rows have no gold label.
    expect(issues(['id', 'input'], manifest())).toEqual([]);
  });

  it('names the manifest entry of a missing mapped column, and says how to map a missing default one', () => {
    expect(issues(['ticket', 'text'], manifest({ id: 'ticket', text: 'body', label: 'category' }))).toEqual([
      { path: 'input.fields.text', message: 'column "body" is not in the CSV header (columns: ticket, text)' },
      { path: 'input.fields.label', message: 'column "category" is not in the CSV header (columns: ticket, text)' },
    ]);
    expect(issues(['id', 'body'], manifest())).toEqual([
      { path: 'input.fields', message: 'column "input" is not in the CSV header (columns: id, body); name the input column with input.fields.text' },
    ]);
  });

  it('refuses a carried column that is not there, and a mapped column named twice', () => {
    expect(issues(['id', 'input', 'input'], manifest(undefined, ['subject']))).toEqual([
      { path: 'input.fields', message: 'column "input" appears 2 times in the CSV header' },
      { path: 'output.include', message: 'column "subject" is not in the CSV header (columns: id, input, input)' },
    ]);
  });
});
