import { runPage } from './run-page.js';
import { runView } from './run-view.js';
import { calibration, entry, progress, report, snapshot, XSS } from './testing/run-fixtures.js';

const NOW = Date.parse('2025-01-02T10:01:00.000Z');

const field = (page: string, name: string) => [...page.matchAll(new RegExp(`data-field="${name}">([^<]*)<`, 'g'))].map((m) => m[1]);
const section = (page: string, id: string) => new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(page)?.[1] ?? '';

describe('runPage', () => {
  const finished = runView({ runId: 'tickets-1a2b3c4d', entry: entry(), progress: null, spend: null }, NOW);

  it('shows a finished run\'s numbers from its report', () => {
    const page = runPage(finished, calibration()).text;
    expect(field(page, 'rows')[0]).toBe('1,002');
    expect(field(page, 'results')).toEqual(['1,000']);
    expect(field(page, 'rejects')).toEqual(['2']);
    expect(field(page, 'query-share')).toEqual(['20.0%']);
    expect(field(page, 'cost')).toEqual(['$0.0123', '$0.0123']);
    expect(field(page, 'budget')).toEqual(['$2.0000']);
    expect(field(page, 'accuracy')[0]).toBe('95.0%');
    expect(field(page, 'fraction')).toEqual(['100.0%']);
    expect(page).not.toContain('http-equiv="refresh"');
  });

  it('lists answers by source with their accuracy, and the fallbacks', () => {
    const sources = section(runPage(finished, undefined).text, 'sources');
    expect(sources).toMatch(/data-source="small">[\s\S]*?data-field="rows">800<[\s\S]*?data-field="accuracy">97\.5%</);
    expect(sources).toMatch(/data-source="large">[\s\S]*?data-field="rows">190<[\s\S]*?data-field="accuracy">85\.3%</);
    expect(sources).toMatch(/data-source="learnable">[\s\S]*?data-field="rows">0<[\s\S]*?data-field="accuracy">—</);
    expect(sources).toContain('Fallbacks: over_budget 10');
  });

  it('shows accuracy per gold label, and says so when there are no labels', () => {
    const perClass = section(runPage(finished, undefined).text, 'per-class');
    expect(perClass).toMatch(/data-label="ham">[\s\S]*?data-field="correct">640<[\s\S]*?data-field="total">660<[\s\S]*?data-field="accuracy">97\.0%</);
    expect(perClass).toMatch(/data-label="spam">[\s\S]*?data-field="accuracy">91\.2%</);
    const unlabelled = runView({ runId: 'u', entry: entry({ report: report({ accuracy: null }) }), progress: null, spend: null }, NOW);
    expect(section(runPage(unlabelled, undefined).text, 'per-class')).toContain('no gold labels');
  });

  it('draws the calibration curve its delta came from, with the reason, and links only the run\'s own outputs', () => {
    const page = runPage(finished, calibration()).text;
    const delta = section(page, 'calibration');
    expect(delta).toContain('<svg');
    expect(delta).toContain('data-delta="0.97"');
    expect(delta).toContain('class="this-run"');
    expect(delta).toContain('Most right answers at delta 0.97.');
    expect([...section(page, 'downloads').matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/runs/tickets-1a2b3c4d/results.jsonl',
      '/runs/tickets-1a2b3c4d/rejects.jsonl',
      '/runs/tickets-1a2b3c4d/report.json',
    ]);
  });

  it('says a delta came from the manifest, or that its calibration record is gone or newer', () => {
    const manual = runView({ runId: 'm', entry: entry({ report: report({ deltaSource: { kind: 'manifest' } }) }), progress: null, spend: null }, NOW);
    expect(section(runPage(manual, undefined).text, 'calibration')).toContain('was set in the manifest; no calibration curve');
    expect(section(runPage(finished, undefined).text, 'calibration')).toContain('no longer in the registry');
    expect(section(runPage(finished, calibration({ calibratedAt: '2025-01-05T00:00:00.000Z' })).text, 'calibration')).toContain('calibrated again since this run');
  });

  it('states a guarantee run\'s promise and sample from its own sampling phase, not a calibration record', () => {
    const guarantee = (threshold: number | null) =>
      runView({
        runId: 'g',
        entry: entry({
          report: report({
            deltaSource: {
              kind: 'guarantee',
              target: { target: 'guarantee', T: 0.95, alpha: 0.1, metric: 'agreement' },
              method: 'bargain',
              threshold,
              rowsSampled: 325,
              rowsAsked: 340,
              population: 1000,
              reason: 'stopped at 0.97: the test could not reject',
              calibratedAt: '2025-01-02T10:00:00.000Z',
              modelVersion: 'v1',
            },
          }),
        }),
        progress: null,
        spend: null,
      }, NOW);
    const certified = section(runPage(guarantee(0.9785), undefined).text, 'calibration');
    expect(certified).toContain('Threshold <span data-field="threshold">0.9785</span> certified');
    expect(certified).toContain("with probability at least 90.0%, DS+ agrees with the large model on at least 95.0% of this run's rows");
    expect(certified).toMatch(/data-field="rows-sampled">325</);
    expect(certified).not.toContain('registry');
    expect(section(runPage(guarantee(null), undefined).text, 'calibration')).toContain('No threshold could be certified: every row went to the large model.');
  });

  it('shows a running run\'s live progress, spend so far against the budget, and reloads itself', () => {
    const spend = { sent: 41, paidCalls: 40, spentUsd: 0.004, possiblyPaidCalls: 0, possiblyPaidUsd: 0 };
    const running = runView({ runId: 'tickets-1a2b3c4d', entry: entry({ report: undefined }), progress: progress(), spend }, NOW);
    const page = runPage(running, calibration()).text;
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(field(page, 'finished')).toEqual(['442']);
    expect(field(page, 'fraction')).toEqual(['44.1%']);
    expect(field(page, 'hard')).toEqual(['100']);
    expect(field(page, 'answered')).toEqual(['40']);
    expect(section(page, 'progress')).toMatch(/aria-valuenow="44"/);
    expect(section(page, 'cost')).toContain('$0.0040</span> spent of a <span data-field="budget">$2.0000</span> budget (0.2%)');
    expect(section(page, 'sources')).toContain('400 answered by the small models, 100 sent to the large model (40 answered, 60 waiting)');
    expect(section(page, 'downloads')).not.toContain('href=');
  });

  it('writes untrusted text from reports and refusals as text', () => {
    const hostile = runView(
      {
        runId: 'h',
        entry: entry({
          snapshot: snapshot(),
          report: report({
            status: 'failed',
            failure: XSS,
            warnings: [XSS],
            largeModel: XSS,
            accuracy: { overall: { correct: 1, total: 1, accuracy: 1 }, perClass: { [XSS]: { correct: 1, total: 1, accuracy: 1 } }, bySource: {} },
          }),
        }),
        progress: null,
        spend: null,
      },
      NOW,
    );
    const page = runPage(hostile, undefined).text;
    expect(page).not.toContain('<img');
    expect(page.match(/&lt;img src=x onerror=&quot;alert\(&#39;x&#39;\)&quot;&gt;/g)!.length).toBeGreaterThanOrEqual(5);
    const error = { manifestKey: 'manifests/x.json', at: '2025-01-02T09:00:00.000Z', message: XSS, issues: [{ path: 'task.labels', message: XSS }] };
    const refused = runPage(runView({ runId: 'x', entry: { runId: 'x', outputPrefix: 'runs/', error }, progress: null, spend: null }, NOW), undefined).text;
    expect(refused).not.toContain('<img');
    expect(refused).toContain('Manifest refused: &lt;img');
    expect(refused).not.toContain('id="progress"');
  });
});
