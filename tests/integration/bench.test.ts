import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchWithLocalStack } from '../../packages/cli/src/commands/bench';

/** The paper benchmark end to end on a slice of SpamAssassin: real pipeline, report files on disk. */
describe('bench run', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'ds-bench-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs small only, large only, DS+ and a 2-point sweep, and writes the HTML, JSON and SVG charts', async () => {
    const lines: string[] = [];
    const { html, json, charts, results } = await runBenchWithLocalStack(
      {
        only: ['spam'],
        sweep: true,
        ablation: false,
        outDir,
        testRows: 150,
        validationRows: 200,
        sweepGrid: [0.9, 0.99],
        overrides: { spam: { standIn: { pool: { kind: 'train-rest' }, perClass: 30, seed: 1 } } },
        log: (line) => lines.push(line),
      },
      'jest bench slice',
    );
    const exp = results.experiments[0]!;
    expect(exp.rows.test).toBe(150);
    for (const run of [exp.runs.small, exp.runs.large, exp.runs.shunt]) expect(run.summary.rows).toBe(150);
    expect(exp.runs.small.summary.queryProportion).toBe(0);
    expect(exp.runs.large.summary.queryProportion).toBe(1);
    expect([0.9, 0.99]).toContain(exp.runs.shunt.delta);
    expect(exp.sweep.map((r) => r.delta)).toEqual([0.9, 0.99]);
    expect(exp.runs.large.bound.llmSeconds).toBeCloseTo(exp.runs.large.paidCalls / 100, 6);
    expect(Object.keys(exp.runs.shunt.summary.perGroup).sort()).toEqual(['easy-ham', 'hard-ham', 'spam'].filter((g) => exp.runs.shunt.summary.perGroup[g]));

    const page = readFileSync(html, 'utf8');
    const pct = (x: number | null) => `${((x ?? 0) * 100).toFixed(2)}%`;
    expect(page).toContain(pct(exp.runs.shunt.summary.accuracy));
    expect(page).toContain(pct(exp.runs.large.summary.accuracy));
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(JSON.parse(readFileSync(json, 'utf8')).experiments[0].runs.shunt.runId).toBe(exp.runs.shunt.runId);

    expect(charts.map((c) => c.slice(outDir.length + 1)).sort()).toEqual(['spam-sweep-accuracy.svg', 'spam-sweep-query.svg']);
    const accuracySvg = readFileSync(join(outDir, 'spam-sweep-accuracy.svg'), 'utf8');
    for (const r of exp.sweep) expect(accuracySvg).toContain(`data-x="${r.delta}" data-y="${r.summary.accuracy}"`);
    const querySvg = readFileSync(join(outDir, 'spam-sweep-query.svg'), 'utf8');
    for (const r of exp.sweep) expect(querySvg).toContain(`data-x="${r.delta}" data-y="${r.summary.queryProportion}"`);
    expect(existsSync(join(outDir, 'stand-ins'))).toBe(true);
    expect(lines.some((l) => l.includes('large-only'))).toBe(true);
  }, 300_000);
});
