import { gzipSync } from 'node:zlib';
import { gunzipChunks } from './gzip.js';
import { readJsonlRecords } from './jsonl-records.js';
import { chunksOf, collect as all } from './testing/streams.js';

const body = '{"id":1,"input":"a"}\n\n{"id":2,\n  \n[1,2]\n{"id":3,"input":"c"}';

describe('readJsonlRecords', () => {
  it('gives one record per physical line: a value, or why not', async () => {
    const records = await all(readJsonlRecords(chunksOf(Buffer.from(body), 5)));
    expect(records.map((r) => [r.number, r.problem ?? r.value])).toEqual([
      [1, { id: 1, input: 'a' }],
      [2, 'blank line'],
      [3, 'not valid JSON (at character 9)'],
      [4, 'blank line'],
      [5, [1, 2]],
      [6, { id: 3, input: 'c' }],
    ]);
    expect(records[0]!.text).toBe('{"id":1,"input":"a"}');
  });

  it('reads gzip as it streams, and ends a cut-off stream with one record that says so', async () => {
    const gz = gzipSync(Buffer.from(body));
    const whole = await all(readJsonlRecords(gunzipChunks(chunksOf(gz, 7))));
    expect(whole.map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6]);

    const big = gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i, input: `row ${i} ${'x'.repeat(i % 50)}` })).join('\n')));
    const cut = await all(readJsonlRecords(gunzipChunks(chunksOf(big.subarray(0, Math.floor(big.length / 2)), 1024))));
    const last = cut[cut.length - 1]!;
    expect(last.problem).toMatch(/^gzip data is corrupt or cut short .*: nothing from here on could be read$/);
    expect(cut.slice(0, -1).every((r) => r.problem === undefined || r.problem.startsWith('not valid JSON'))).toBe(true);
    expect(cut.map((r) => r.number)).toEqual(cut.map((_, i) => i + 1));
  });

  it('passes errors of the source through, to be retried', async () => {
    async function* failing() {
      yield gzipSync(Buffer.from('{"id":1}\n')).subarray(0, 10);
      throw new Error('socket hang up');
    }
    await expect(all(readJsonlRecords(gunzipChunks(failing())))).rejects.toThrow('socket hang up');
  });
});
