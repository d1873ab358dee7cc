import { runView } from './run-view.js';
import { runsListPage } from './runs-list-page.js';
import { entry, progress, report, XSS } from './testing/run-fixtures.js';

const NOW = Date.parse('2025-01-02T10:01:00.000Z');
const finished = runView({ runId: 'tickets-1a2b3c4d', entry: entry(), progress: null, spend: null }, NOW);

/** The cells of the list row of one run, by data-field. */
function cells(page: string, runId: string): Record<string, string> {
  const row = new RegExp(`<tr data-run="${runId}">([\\s\\S]*?)</tr>`).exec(page)![1]!;
  return Object.fromEntries([...row.matchAll(/data-field="([a-z-]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!]));
}

describe('runsListPage', () => {
  it('shows each run with its status, rows, query share, dollars and accuracy', () => {
    const page = runsListPage([finished], ['runs/'], NOW).text;
    expect(page).toMatch(/^<!doctype html>/);
    expect(cells(page, 'tickets-1a2b3c4d')).toEqual({ name: 'tickets', status: 'succeeded', rows: '1,002', 'query-share': '20.0%', cost: '$0.0123', accuracy: '95.0%' });
    expect(page).toContain('href="/runs/tickets-1a2b3c4d"');
    expect(page).not.toContain('http-equiv="refresh"');
  });

  it('shows a dash for accuracy without gold labels, and reloads itself while a run is live', () => {
    const unlabelled = runView({ runId: 'u-1', entry: entry({ runId: 'u-1', report: report({ accuracy: null }) }), progress: null, spend: null }, NOW);
    const running = runView({ runId: 'r-1', entry: entry({ runId: 'r-1', report: undefined }), progress: progress(), spend: null }, NOW);
    const page = runsListPage([running, unlabelled], ['runs/'], NOW).text;
    expect(cells(page, 'u-1').accuracy).toBe('—');
    expect(cells(page, 'r-1')).toMatchObject({ status: 'running', done: '44.1% done', rows: '1,002', 'query-share': '20.0%', cost: '—' });
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
  });

  it('writes a refused manifest\'s reason as text, never as markup', () => {
    const error = { manifestKey: 'manifests/x.json', at: '2025-01-02T09:00:00.000Z', message: `task.labels: not known to the model: ${XSS}`, issues: [] };
    const refused = runView({ runId: 'x-12345678', entry: { runId: 'x-12345678', outputPrefix: 'runs/', error }, progress: null, spend: null }, NOW);
    const page = runsListPage([refused], ['runs/'], NOW).text;
    expect(page).not.toContain('<img');
    expect(page).toContain('not known to the model: &lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;');
    expect(cells(page, 'x-12345678').status).toBe('refused');
  });

  it('says there are no runs yet', () => {
    expect(runsListPage([], ['runs/'], NOW).text).toContain('No runs yet');
  });
});
