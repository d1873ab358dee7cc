import type { ResultRecord } from '@datashunt/contracts';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { writeResultsCsv, writeResultsParquet, type ByteSink } from './result-writers.js';

const base: ResultRecord = { id: 'a', line: 1, label: 'spam', source: 'small', c_s1: 0.99, c_s2: null, c_l: null, tokens: { input: 0, output: 0 }, cost: 0, modelVersion: 'v1' };
const results: ResultRecord[] = [
  { ...base, probabilities: { ham: 0.01, spam: 0.99 }, columns: { subject: 'Hi, "you"\nthere', n: 3 } },
  { ...base, id: 7, line: 2, label: 'ham', source: 'large', c_l: 0.9, tokens: { input: 120, output: 1 }, cost: 0.0001, cached: true, gold: 'ham', probabilities: { ham: 0.6, spam: 0.4 }, columns: { subject: null } },
  { ...base, id: 'c', line: 3, source: 'fallback', fallbackReason: 'over_budget', error: 'budget', probabilities: { ham: 0.3, spam: 0.7 }, columns: {} },
];
const spec = { labels: ['ham', 'spam'], probabilities: true, include: ['subject', 'n'] };

function memorySink(): ByteSink & { bytes(): Buffer; writes: number } {
  const chunks: Buffer[] = [];
  return {
    writes: 0,
    async write(chunk) {
      this.writes += 1;
      chunks.push(Buffer.from(chunk));
    },
    bytes: () => Buffer.concat(chunks),
  };
}

async function* stream<T>(items: T[]) {
  yield* items;
}

describe('results tables', () => {
  it('writes results.csv with a header, probabilities and carried columns', async () => {
    const sink = memorySink();
    expect(await writeResultsCsv(stream(results), spec, sink)).toBe(3);
    const rows = parse(sink.bytes(), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(['id', 'line', 'label', 'source', 'c_s1', 'c_s2', 'c_l', 'tokens_input', 'tokens_output', 'cost', 'modelVersion', 'fallbackReason', 'error', 'cached', 'gold', 'p_ham', 'p_spam', 'subject', 'n']);
    expect(rows[0]).toMatchObject({ id: 'a', line: '1', c_s2: '', cached: 'false', p_spam: '0.99', subject: 'Hi, "you"\nthere', n: '3' });
    expect(rows[1]).toMatchObject({ id: '7', source: 'large', tokens_input: '120', cached: 'true', gold: 'ham', subject: '' });
    expect(rows[2]).toMatchObject({ fallbackReason: 'over_budget', error: 'budget' });
  });

  it('writes results.parquet row group by row group, readable back', async () => {
    const sink = memorySink();
    const many = Array.from({ length: 25 }, (_, i) => ({ ...results[i % 3]!, line: i + 1 }));
    expect(await writeResultsParquet(stream(many), spec, sink, 10)).toBe(25);
    // Three row groups and the footer: the bytes left as they were made, not all at the end.
    expect(sink.writes).toBeGreaterThanOrEqual(4);
    const bytes = sink.bytes();
    const file = { byteLength: bytes.length, slice: async (s: number, e?: number) => bytes.buffer.slice(bytes.byteOffset + s, bytes.byteOffset + (e ?? bytes.length)) };
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(25);
    expect(rows[1]).toMatchObject({ id: '7', line: 2n, source: 'large', c_l: 0.9, tokens_input: 120n, cached: true, p_ham: 0.6, subject: null, n: null });
    expect(rows[0]).toMatchObject({ id: 'a', c_s2: null, subject: 'Hi, "you"\nthere', n: '3' });
    expect(rows.map((r) => r.line)).toEqual(many.map((r) => BigInt(r.line)));
  });

  it('writes a valid, empty table for a run without results', async () => {
    const sink = memorySink();
    expect(await writeResultsParquet(stream([]), spec, sink)).toBe(0);
    const bytes = sink.bytes();
    const file = { byteLength: bytes.length, slice: async (s: number, e?: number) => bytes.buffer.slice(bytes.byteOffset + s, bytes.byteOffset + (e ?? bytes.length)) };
    expect(await parquetReadObjects({ file })).toEqual([]);
    const csvSink = memorySink();
    await writeResultsCsv(stream([]), spec, csvSink);
    expect(csvSink.bytes().toString().trim().split('\n')).toHaveLength(1);
  });
});
