import type { FinishedRun } from './finished-runs';
import { exclusionOf } from './finished-runs';

/** Only the fields exclusionOf reads: the manifest's purpose and whether the report graded the rows. */
function run(purpose: 'production' | 'evaluation' | undefined, labelled: boolean): FinishedRun {
  const accuracy = labelled ? { overall: { correct: 9, total: 10, accuracy: 0.9 }, perClass: {}, bySource: {} } : null;
  return { runId: 'r', snapshot: { manifest: { purpose } }, report: { accuracy } } as unknown as FinishedRun;
}

describe('exclusionOf (distill now without --runs)', () => {
  it('never uses an evaluation run, labelled or not, even when labelled runs are asked for', () => {
    expect(exclusionOf(run('evaluation', false), { includeLabelled: true })).toMatch(/^an evaluation run/);
    expect(exclusionOf(run('evaluation', true), { includeLabelled: true })).toMatch(/^an evaluation run/);
  });

  it('leaves out runs whose rows carry gold labels unless asked', () => {
    expect(exclusionOf(run('production', true), { includeLabelled: false })).toContain('its rows carry gold labels');
    expect(exclusionOf(run('production', true), { includeLabelled: true })).toBeUndefined();
  });

  it('uses unlabelled production runs, and runs from before the purpose field', () => {
    expect(exclusionOf(run('production', false), { includeLabelled: false })).toBeUndefined();
    expect(exclusionOf(run(undefined, false), { includeLabelled: false })).toBeUndefined();
  });
});
