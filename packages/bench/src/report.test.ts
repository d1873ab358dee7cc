import { summarizeRun, lowerBound, type ResultRow } from './aggregate';
import { DOCS_BEGIN, DOCS_END, renderHtmlReport, renderMarkdownTables, updateDocsSection, type BenchResults } from './report';
import type { ExperimentResult, TimedRun } from './runner';

const price = { name: 'test price', inputPer1M: 0.15, outputPer1M: 0.6 };
const labels = ['0', '1'];
const gold = new Map([
  ['a', '0'],
  ['b', '1'],
  ['c', '1'],
  ['d', '0'],
]);
const groupOf = (_: string, g: string) => (g === '0' ? 'head' : 'tail');

function run(tag: string, labelsById: Record<string, string>, source: ResultRow['source'], delta: number | null): TimedRun {
  const results = Object.entries(labelsById).map(([id, label]) => ({ id, label, source, tokens: source === 'large' ? { input: 50, output: 1 } : { input: 0, output: 0 } }));
  return {
    tag,
    strategy: delta === null ? (source === 'large' ? 'large-only' : 'small-only') : 'shunt',
    delta,
    promptMode: 'soft+hard',
    useLearnable: false,
    runId: `run-${tag}`,
    summary: summarizeRun(results, gold, labels, groupOf, price),
    pipelineWallSeconds: 1,
    wallSeconds: 1.2,
    bound: lowerBound({ easyScoringSeconds: 0.01, hardRows: 60, rateLimitRpm: 6000, wallSeconds: 1.2 }),
    paidCalls: 4,
    cachedCalls: 0,
    modelVersions: { specific: 'v1', learnable: null },
  };
}

const small = run('small', { a: '0', b: '0', c: '1', d: '0' }, 'small', null); // 75%
const large = run('large', { a: '1', b: '1', c: '1', d: '0' }, 'large', null); // 75%
const shunt = run('ds', { a: '0', b: '1', c: '1', d: '0' }, 'small', 0.97); // 100%
const experiment: ExperimentResult = {
  name: 'mnist-lt',
  paper: 'Table 3',
  labels,
  groups: ['head', 'tail'],
  rows: { specialistTrain: 10, validation: 4, test: 4, distillPool: 3 },
  specialist: { version: 'v1', family: 'image-mlp', trainRows: 10, byLabel: { '0': 9, '1': 1 }, validationAccuracy: 0.75, trainSeconds: 0.1 },
  standIn: { model: 'reference-generalist', endpoint: 'reference', file: 'x.json', labels, perClass: 100, seed: 1, kind: 'image', temperature: 2, source: 'pool.jsonl' },
  delta: { delta: 0.97, accuracy: 1, queryProportion: 0.5, curve: [], validationLargeAccuracy: 0.75, validationSmallAccuracy: 0.75 },
  runs: { small, large, shunt },
  sweep: [{ ...shunt, delta: 0.9, tag: 'sweep 0.9' }, shunt],
  ablation: { status: 'pending', reason: 'trainer missing', without2cd: shunt, withoutPpAnd2cd: large },
  price,
  rateLimitRpm: 6000,
  seconds: 3,
};
const results: BenchResults = { startedAt: 't0', finishedAt: 't1', command: 'datashunt bench run --sweep', machine: '2 cores', largeModel: { model: 'reference-generalist', endpoint: 'reference', embedded: true }, experiments: [experiment] };

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(results);

  it('is a self-contained page with the numbers and inline charts', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('100.00%'); // DS+ accuracy
    expect(html).toContain('75.00%'); // large / small
    expect(html).toContain('+25.00 pt');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('datashunt bench run --sweep');
  });

  it('reports head / tail and the ablation with the pending column', () => {
    expect(html).toContain('<td>head</td>');
    expect(html).toContain('<td>tail</td>');
    expect(html).toContain('Ablation (Table 5)');
    expect(html).toContain('pending');
    expect(html).toContain('trainer missing');
  });

  it('says so when DS+ does not beat the large model', () => {
    const worse = { ...experiment, runs: { small, large: shunt, shunt: large } };
    expect(renderHtmlReport({ ...results, experiments: [worse] })).toContain('DS+ does not beat the large model');
  });
});

describe('docs section', () => {
  const tables = renderMarkdownTables(results);

  it('has the summary row and the sweep', () => {
    expect(tables).toContain('| mnist-lt | 75.00% | 75.00% | **100.00%** |');
    expect(tables).toContain('| delta | 0.9 | 0.97 |');
  });

  it('adds the section once and then only replaces the generated block', () => {
    const first = updateDocsSection('# Benchmarks\n\n## Small models\n\ntext\n', 'T1');
    expect(first).toContain(`## Small models\n\ntext\n\n## Paper reproduction\n\n${DOCS_BEGIN}\nT1\n${DOCS_END}\n`);
    const edited = first.replace('## Paper reproduction\n\n', '## Paper reproduction\n\nHand-written discussion.\n\n') + '\n## Pipeline\n\nother\n';
    const second = updateDocsSection(edited, 'T2');
    expect(second).toContain('Hand-written discussion.');
    expect(second).toContain(`${DOCS_BEGIN}\nT2\n${DOCS_END}`);
    expect(second).not.toContain('T1');
    expect(second).toContain('## Pipeline\n\nother\n');
  });
});
