import { Readable } from 'node:stream';
import { readCsvRecords, readJsonlRecords, type InputRecord } from '@datashunt/formats';
import { rowMapping } from '@datashunt/ingest';
import { DatasetTally, formatDatasetSummary, rejectShare } from './dataset-tally';

const textTask = (labels: string[], fields = {}) => rowMapping({ task: { labels, inputKind: 'text' }, input: { fields }, output: {} });

const bytesOf = (text: string) => Readable.from([Buffer.from(text)]);

async function tallyOf(tally: DatasetTally, records: AsyncIterable<InputRecord>): Promise<DatasetTally> {
  for await (const record of records) tally.add(record);
  return tally;
}

describe('DatasetTally', () => {
  it('ends every line as a valid row under its class or a reject grouped by reason, with the first line numbers', async () => {
    const lines = [
      { id: 1, input: 'a', label: 'ham' },
      { id: 2, input: 'b', label: 'spam' },
      { id: 3, input: 'c', label: 'eggs' },
      { id: 4, input: 'd' },
      { id: 5, input: 'e', label: 'eggs' },
      { id: 6, input: 'f', label: 'ham' },
    ].map((l) => JSON.stringify(l));
    lines.splice(2, 0, '{"id": 7, "inp');
    const tally = await tallyOf(new DatasetTally(textTask(['ham', 'spam']), 'jsonl'), readJsonlRecords(bytesOf(`${lines.join('\n')}\n`)));
    const summary = tally.summary(2);
    expect(summary).toMatchObject({ rows: 7, valid: 4, rejected: 3, classes: { ham: 2, spam: 1 }, unlabelled: 1 });
    const labelReject = summary.rejects.find((g) => g.reason.includes('label'))!;
    expect(labelReject).toEqual({ reason: 'label is not one of the task\'s labels (ham, spam)', count: 2, first: ['line 4', 'line 6'] });
    expect(summary.rejects.find((g) => g !== labelReject)!.first).toEqual(['line 3']);
    expect(summary.warnings).toEqual(['class "spam" has 1 rows, fewer than 2']);
    expect(rejectShare(summary)).toBeCloseTo(3 / 7);
  });

  it('reads CSV columns through input.fields and names rows by record', async () => {
    const csv = 'doc,body,gold\nd1,hello,ham\nd2,,spam\nd3,bye,spam\n';
    const tally = await tallyOf(new DatasetTally(textTask(['ham', 'spam'], { id: 'doc', text: 'body', label: 'gold' }), 'csv'), readCsvRecords(bytesOf(csv)));
    const summary = tally.summary(0);
    expect(summary).toMatchObject({ rows: 3, valid: 2, rejected: 1, classes: { ham: 1, spam: 1 }, warnings: [] });
    expect(summary.rejects).toEqual([{ reason: 'body (input.fields.text): missing', count: 1, first: ['record 2 (starts on line 3)'] }]);
  });

  it('lists a class no row has, and keeps to the first five positions of a reason', async () => {
    const bad = Array.from({ length: 7 }, (_, i) => JSON.stringify({ id: i, input: 'x', label: 'nope' }));
    const tally = await tallyOf(new DatasetTally(textTask(['a', 'b']), 'jsonl'), readJsonlRecords(bytesOf(bad.join('\n'))));
    const summary = tally.summary(1);
    expect(summary.classes).toEqual({ a: 0, b: 0 });
    expect(summary.rejects[0]!.first).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(summary.warnings).toEqual(['class "a" has 0 rows, fewer than 1', 'class "b" has 0 rows, fewer than 1']);
    expect(formatDatasetSummary(summary)).toContain('  7  label is not one of the task\'s labels (a, b)  (line 1, line 2, line 3, line 4, line 5, ...)');
  });
});
