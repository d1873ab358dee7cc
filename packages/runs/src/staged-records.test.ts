import type { InputRecord } from '@datashunt/formats';
import { stagedLine, stagedRecord } from './staged-records.js';

describe('staged records', () => {
  it('keep what a reject and a row need, renumbered from the staged shard\'s first record', () => {
    const records: InputRecord[] = [
      { number: 501, text: '{"id":"a","input":"x"}', value: { id: 'a', input: 'x' } },
      { number: 502, problem: 'blank line', text: '' },
      { number: 503, line: 740, value: { id: '7', input: 'multi\nline' } },
      { number: 504, line: 745, problem: 'has 1 field; the header has 3' },
    ];
    expect(records.map((r) => stagedRecord(stagedLine(r), 501))).toEqual([
      { number: 1, text: '{"id":"a","input":"x"}', value: { id: 'a', input: 'x' } },
      { number: 2, problem: 'blank line', text: '' },
      { number: 3, line: 740, value: { id: '7', input: 'multi\nline' } },
      { number: 4, line: 745, problem: 'has 1 field; the header has 3' },
    ]);
  });
});
