import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetRowSchema } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFile, SPLIT_NAMES, type DatasetMeta, type DatasetName, type DatasetRecord } from '@datashunt/datasets';

const hasRscript = spawnSync('Rscript', ['--version'], { stdio: 'ignore' }).error === undefined;
if (!hasRscript) console.warn('Rscript not found: skipping the fine-foods build test (it needs R and r-cran-modeldata)');

async function readSplits(name: DatasetName, outDir: string): Promise<Record<string, DatasetRecord[]>> {
  const paths = datasetPaths(name, outDir);
  const out: Record<string, DatasetRecord[]> = {};
  for (const split of SPLIT_NAMES) {
    out[split] = [];
    for await (const row of readJsonlFile<DatasetRecord>(paths[split])) out[split].push(row);
  }
  return out;
}

function fileBytes(name: DatasetName, outDir: string): string[] {
  const paths = datasetPaths(name, outDir);
  return [paths.meta, ...SPLIT_NAMES.map((s) => paths[s])].map((p) => readFileSync(p, 'latin1'));
}

/** Checks what every dataset promises: counts as in meta, schema-valid rows, fixed labels, no id in two splits. */
async function checkDataset(meta: DatasetMeta, outDir: string): Promise<Record<string, DatasetRecord[]>> {
  const splits = await readSplits(meta.name, outDir);
  const ids = new Set<string>();
  for (const split of SPLIT_NAMES) {
    const rows = splits[split]!;
    expect(rows.length).toBe(meta.splits[split].total);
    for (const label of meta.labels) expect(rows.filter((r) => r.label === label).length).toBe(meta.splits[split].byLabel[label]);
    for (const row of rows) {
      expect(DatasetRowSchema.safeParse(row).success).toBe(true);
      expect(meta.labels).toContain(row.label);
      expect(ids.has(row.id)).toBe(false);
      ids.add(row.id);
    }
  }
  return splits;
}

describe('dataset builders', () => {
  let dirA: string;
  let dirB: string;
  beforeAll(() => {
    dirA = mkdtempSync(join(tmpdir(), 'ds-datasets-a-'));
    dirB = mkdtempSync(join(tmpdir(), 'ds-datasets-b-'));
  });
  afterAll(() => {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('spam: headerless, capped bodies in stratified 60/20/20 splits', async () => {
    const meta = await buildDataset('spam', { outDir: dirA, seed: 1 });
    const splits = await checkDataset(meta, dirA);
    expect(meta.labels).toEqual(['ham', 'spam']);
    const total = SPLIT_NAMES.reduce((n, s) => n + meta.splits[s].total, 0);
    expect(total).toBe(6046 - Number(meta.params.duplicateBodies) - Number(meta.params.emptyBodies));
    expect(meta.splits.train.total / total).toBeCloseTo(0.6, 2);
    expect(meta.splits.test.byGroup).toEqual({ 'easy-ham': expect.any(Number), 'hard-ham': 50, spam: expect.any(Number) });
    const all = Object.values(splits).flat();
    expect(all.every((r) => typeof r.input === 'string' && r.input.length <= 4000)).toBe(true);
    // Forwarded mails keep their own headers in the body; the filter markers of the outer mail must be gone.
    expect(all.some((r) => /^X-Spam-\w+:/m.test(r.input as string))).toBe(false);
  });

  it('mnist-lt: long-tailed train, balanced validation and test', async () => {
    const meta = await buildDataset('mnist-lt', { outDir: dirA, seed: 1 });
    const splits = await checkDataset(meta, dirA);
    expect(Object.values(meta.splits.train.byLabel)).toEqual([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
    expect(Object.values(meta.splits.validation.byLabel)).toEqual(new Array(10).fill(100));
    expect(Object.values(meta.splits.test.byLabel)).toEqual(new Array(10).fill(200));
    expect(meta.labelGroups).toEqual({ head: ['0', '1', '2'], medium: ['3', '4', '5', '6'], tail: ['7', '8', '9'] });
    const row = splits.test![0]!;
    expect(Array.isArray(row.input) && row.input.length === 784 && row.input.every((p) => Number.isInteger(p) && p >= 0 && p <= 255)).toBe(true);
  });

  it('same seed gives byte-identical files, another seed other rows, a rebuild is skipped', async () => {
    for (const name of ['spam', 'mnist-lt'] as const) {
      await buildDataset(name, { outDir: dirB, seed: 1 });
      expect(fileBytes(name, dirB)).toEqual(fileBytes(name, dirA));
    }
    const before = readFileSync(datasetPaths('spam', dirB).meta, 'utf8');
    const started = Date.now();
    await buildDataset('spam', { outDir: dirB, seed: 1 });
    expect(Date.now() - started).toBeLessThan(200);
    expect(readFileSync(datasetPaths('spam', dirB).meta, 'utf8')).toBe(before);
    const reseeded = await buildDataset('spam', { outDir: dirB, seed: 2 });
    expect(reseeded.seed).toBe(2);
    expect(readFileSync(datasetPaths('spam', dirB).train, 'utf8')).not.toBe(readFileSync(datasetPaths('spam', dirA).train, 'utf8'));
  });

  (hasRscript ? it : it.skip)('fine-foods: 3,200/800 from the training data, its 1,000 test rows as test', async () => {
    const meta = await buildDataset('fine-foods', { outDir: dirA, seed: 1 });
    await checkDataset(meta, dirA);
    expect(meta.splits.train.byLabel).toEqual({ great: 2080, other: 1120 });
    expect(meta.splits.validation.byLabel).toEqual({ great: 520, other: 280 });
    expect(meta.splits.test.byLabel).toEqual({ great: 658, other: 342 });
    await buildDataset('fine-foods', { outDir: dirB, seed: 1 });
    expect(fileBytes('fine-foods', dirB)).toEqual(fileBytes('fine-foods', dirA));
  });
});
