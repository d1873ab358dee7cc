import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCalibrationSample } from './calibration-sample.js';
import { CommandError } from './command-errors.js';

describe('loadCalibrationSample (local files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ds-cal-sample-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, lines: unknown[]) => {
    const path = join(dir, name);
    writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    return path;
  };
  // No S3 is touched for a local file; the scope policy only guards s3:// sources.
  const load = (source: string, rows?: number, seed = 1) =>
    loadCalibrationSample({ source, labels: ['a', 'b'], seed, s3: undefined as never, scopes: { runBucket: 'b', inputScopes: [], outputPrefixes: [], reservedPrefixes: [] }, ...(rows ? { rows } : {}) });

  const unlabelled = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, input: `text ${i}` }));

  it('uses every row of a labelled file, and no seed', async () => {
    const sample = await load(file('labelled.jsonl', [{ id: 1, input: 'x', label: 'a' }, '', { id: 2, input: 'y', label: 'b' }]));
    expect(sample).toMatchObject({ labelled: true, seed: null, rows: [{ id: 1 }, { id: 2 }] });
  });

  it('draws N rows by seed, in file order, the same rows for the same seed', async () => {
    const path = file('unlabelled.jsonl', unlabelled);
    const first = await load(path, 10, 7);
    const again = await load(path, 10, 7);
    const other = await load(path, 10, 8);
    expect(first).toMatchObject({ labelled: false, seed: 7 });
    expect(first.rows).toHaveLength(10);
    expect(again.rows).toEqual(first.rows);
    expect(other.rows).not.toEqual(first.rows);
    const order = first.rows.map((r) => Number(String(r.id).slice(1)));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('refuses bad rows, foreign labels and half-labelled files with the line', async () => {
    await expect(load(file('bad-json.jsonl', [{ id: 1, input: 'x' }, '{"id": 2, "input"']))).rejects.toThrow(new CommandError(`${join(dir, 'bad-json.jsonl')} line 2: not valid JSON`));
    await expect(load(file('bad-label.jsonl', [{ id: 1, input: 'x', label: 'c' }]))).rejects.toThrow(/line 1: label "c" is not one of the task's labels/);
    await expect(load(file('half.jsonl', [{ id: 1, input: 'x', label: 'a' }, { id: 2, input: 'y' }]))).rejects.toThrow(/1 of 2 rows have a label; give labels for all of them or none/);
    await expect(load(file('empty.jsonl', ['']))).rejects.toThrow(/has no rows/);
  });
});
