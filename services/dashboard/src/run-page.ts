import type { CalibrationRecord, DeltaSource, Report, ResultSource } from '@datashunt/contracts';
import type { RunProgressState } from '@datashunt/runs';
import { calibrationChart } from './calibration-chart.js';
import { count, duration, percent, timestamp, usd } from './format.js';
import { html, type SafeHtml } from './html.js';
import { bar, page, runHref, stat, statusBadge } from './page-layout.js';
import type { RunView } from './run-view.js';

/** The run outputs the page links to, served by the dashboard (nothing else of the run folder is). */
export const RUN_DOWNLOADS = ['results.jsonl', 'rejects.jsonl', 'report.json'] as const;
export type RunDownload = (typeof RUN_DOWNLOADS)[number];

const SOURCES: Array<{ source: ResultSource; name: string; color: string }> = [
  { source: 'small', name: 'small model', color: '#16a34a' },
  { source: 'learnable', name: 'learnable (2CD) model', color: '#0d9488' },
  { source: 'large', name: 'large model', color: '#2563eb' },
  { source: 'fallback', name: 'fallback (large model not used)', color: '#ea580c' },
];

/** One run's page. `calibration` is the record its delta came from, when it came from one. */
export function runPage(run: RunView, calibration: CalibrationRecord | undefined): SafeHtml {
  const body = html`<p class="sub"><a href="/runs">Runs</a> / ${run.runId}</p>
<h1><span data-field="name">${run.name}</span> ${statusBadge(run.state)}</h1>
<p class="sub">run ${run.runId} · manifest ${run.manifestKey ?? '—'} · started ${timestamp(run.startedAt)}${
    run.finishedAt ? html` · finished ${timestamp(run.finishedAt)} (${duration(run.elapsedSeconds)})` : run.live ? html` · running for ${duration(run.elapsedSeconds)} · this page reloads itself` : null
  }</p>
${notes(run)}
${run.state === 'refused' ? null : html`${progressSection(run)}${statsSection(run)}${sourcesSection(run)}${costSection(run)}${deltaSection(run, calibration)}${perClassSection(run.report)}${downloadsSection(run)}`}`;
  return page(run.name, body, { refresh: run.live });
}

function notes(run: RunView): SafeHtml {
  const issues = run.error?.issues ?? [];
  const warnings = run.report?.warnings ?? [];
  return html`${run.reason ? html`<p class="note bad" data-field="reason">${run.state === 'refused' ? 'Manifest refused: ' : 'Failed: '}${run.reason}</p>` : null}
${issues.length ? html`<table id="issues"><thead><tr><th>Field</th><th>Problem</th></tr></thead><tbody>${issues.map((i) => html`<tr><td>${i.path}</td><td>${i.message}</td></tr>`)}</tbody></table>` : null}
${warnings.length ? html`<div class="note warn" id="warnings"><strong>Warnings</strong><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>` : null}`;
}

function progressSection(run: RunView): SafeHtml {
  const b = run.bar;
  if (!b) return html`<h2>Progress</h2><p class="note">No live counters for this run (they expire after 30 days, or Redis lost them); its report appears when it finishes.</p>`;
  const text =
    b.total === null
      ? html`reading the input: ${count(b.finished)} rows done so far`
      : html`<span data-field="finished">${count(b.finished)}</span> of ${count(b.total)} rows done (<span data-field="fraction">${percent(b.fraction)}</span>)${
          run.live ? html` · ${b.etaSeconds === null ? 'no estimate yet' : html`about ${duration(Math.max(1, b.etaSeconds))} left`}` : null
        }`;
  return html`<section id="progress"><h2>Progress</h2>
${bar('rows done', [{ fraction: b.fraction ?? 0, color: run.state === 'failed' ? '#dc2626' : '#2563eb', name: 'rows done' }])}
<p>${text}</p>${run.live && run.counters ? liveCounters(run.counters) : null}</section>`;
}

function liveCounters(c: RunProgressState): SafeHtml {
  const rows: Array<[string, string, number | null]> = [
    ['read by ingest', 'read', c.rows + c.ingestRejects],
    ['rejected at ingest', 'ingest-rejects', c.ingestRejects],
    ['scored by the small model', 'scored', c.scored],
    ['routed', 'routed', c.routed],
    ['sent to the large model', 'hard', c.hard],
    ['answered by the large model (or its fallback)', 'answered', c.answered],
    ['shards done', 'shards-done', c.shardsDone],
    ['shards written to the results', 'shards-written', c.shardsWritten],
  ];
  return html`<table id="counters"><tbody>${rows.map(([label, field, n]) => html`<tr><th scope="row">${label}</th><td class="num" data-field="${field}">${count(n)}</td></tr>`)}<tr><th scope="row">shards planned</th><td class="num">${count(c.shards)}</td></tr></tbody></table>`;
}

function statsSection(run: RunView): SafeHtml {
  const r = run.report;
  return html`<dl class="stats" id="summary">
${stat('Rows', 'rows', count(run.rows))}
${r ? stat('Results', 'results', count(r.results)) : null}
${r ? stat('Rejects', 'rejects', count(r.rejects)) : null}
${r && r.unfinishedRows > 0 ? stat('Unfinished rows', 'unfinished', count(r.unfinishedRows)) : null}
${stat(run.live ? 'Query share so far' : 'Query share', 'query-share', percent(run.queryShare))}
${stat(run.live ? 'Dollars so far' : 'Dollars', 'cost', usd(run.costUsd))}
${stat('Accuracy', 'accuracy', percent(run.accuracy))}
${stat('Delta', 'delta', run.delta ?? '—')}
</dl>`;
}

function sourcesSection(run: RunView): SafeHtml {
  const r = run.report;
  if (!r) {
    const c = run.counters;
    if (!c) return html``;
    return html`<section id="sources"><h2>Answers by source so far</h2>
<p>${count(c.routed - c.hard)} answered by the small models, ${count(c.hard)} sent to the large model (${count(c.answered)} answered, ${count(c.hard - c.answered)} waiting). Final counts per source come with the report.</p></section>`;
  }
  const total = r.results;
  const accuracy = r.accuracy?.bySource;
  const reasons = Object.entries(r.fallbackReasons).filter(([, n]) => n > 0);
  return html`<section id="sources"><h2>Answers by source</h2>
${bar('answers by source', SOURCES.map((s) => ({ fraction: total ? (r.bySource[s.source] ?? 0) / total : 0, color: s.color, name: s.name })))}
<table id="by-source"><thead><tr><th>Source</th><th class="num">Rows</th><th class="num">Share</th><th class="num">Accuracy</th></tr></thead><tbody>
${SOURCES.map((s) => {
  const n = r.bySource[s.source] ?? 0;
  return html`<tr data-source="${s.source}"><th scope="row"><span class="swatch" style="${`background:${s.color}`}"></span>${s.name}</th><td class="num" data-field="rows">${count(n)}</td><td class="num">${percent(total ? n / total : null)}</td><td class="num" data-field="accuracy">${percent(accuracy?.[s.source]?.accuracy)}</td></tr>`;
})}
</tbody></table>
${reasons.length ? html`<p class="sub">Fallbacks: ${reasons.map(([reason, n], i) => html`${i ? ', ' : ''}${reason} ${count(n)}`)}</p>` : null}
</section>`;
}

function costSection(run: RunView): SafeHtml {
  const budget = run.budgetUsd;
  const spent = run.costUsd ?? 0;
  const possibly = run.possiblyPaidUsd ?? 0;
  const r = run.report;
  return html`<section id="cost"><h2>Cost against budget</h2>
${budget ? bar('spent of the budget', [
    { fraction: spent / budget, color: '#2563eb', name: 'spent' },
    { fraction: possibly / budget, color: '#f59e0b', name: 'possibly billed' },
  ]) : null}
<p><span data-field="cost">${usd(spent)}</span> spent of a <span data-field="budget">${usd(budget)}</span> budget (${percent(budget ? spent / budget : null)})${
    possibly > 0 ? html`, plus ${usd(possibly)} possibly billed for requests that timed out or were cut off` : null
  }.</p>
${
  r
    ? html`<p class="sub">Large-model calls: ${count(r.largeModelCalls.paid)} paid, ${count(r.largeModelCalls.cached)} answered from the cache${
        r.requests ? html`; ${count(r.requests.sent)} requests sent, retries included` : null
      }. Tokens: ${count(r.tokens.input)} in, ${count(r.tokens.output)} out. Model: ${r.largeModel}.</p>`
    : null
}</section>`;
}

function deltaSection(run: RunView, record: CalibrationRecord | undefined): SafeHtml {
  const source = run.deltaSource;
  if (!source || source.kind === 'manifest') {
    return html`<section id="calibration"><h2>Delta</h2><p>Delta ${run.delta ?? '—'} was set in the manifest; no calibration curve.</p></section>`;
  }
  if (source.kind === 'guarantee') return guaranteeSection(source);
  const intro = html`<p>Delta ${run.delta ?? '—'} was chosen for target <strong>${source.target.target}</strong> from the calibration of ${run.smallModel ?? 'the small model'} version ${source.modelVersion} (${timestamp(source.calibratedAt)}).</p>`;
  if (!record) return html`<section id="calibration"><h2>Delta and calibration</h2>${intro}<p class="note">The calibration record is no longer in the registry.</p></section>`;
  const reason = record.choices.find((c) => c.target.target === source.target.target)?.choice.reason;
  const r = run.report;
  const measured = record.curve.basis === 'gold' && r?.accuracy?.overall.accuracy != null ? { queryShare: r.queryProportion, accuracy: r.accuracy.overall.accuracy } : undefined;
  return html`<section id="calibration"><h2>Delta and calibration</h2>${intro}
${record.calibratedAt !== source.calibratedAt ? html`<p class="note warn">The model version was calibrated again since this run (${timestamp(record.calibratedAt)}): the curve is the newer one.</p>` : null}
${reason ? html`<p class="sub">${reason}</p>` : null}
${calibrationChart(record, { delta: run.delta ?? Number.NaN, run: measured })}
<p class="sub">Measured on ${count(record.curve.rows)} ${record.sample.labelled ? 'labelled' : 'unlabelled'} rows${
    record.curve.basis === 'gold' ? '' : '; without labels, accuracy means agreement with the large model'
  }. Small model alone ${percent(record.curve.smallOnly.accuracy)}, large model alone ${percent(record.curve.largeOnly.accuracy)}.</p>
<details><summary>The curve as a table</summary><table id="curve"><thead><tr><th class="num">Delta</th><th class="num">Query share</th><th class="num">$ per 1,000 rows</th><th class="num">Accuracy</th></tr></thead><tbody>${record.curve.points.map(
    (p) => html`<tr${p.delta === run.delta ? html` class="chosen"` : null}><td class="num">${p.delta}${p.delta === run.delta ? ' (chosen)' : ''}</td><td class="num">${percent(p.queryShare)}</td><td class="num">${usd(p.dollarsPer1k)}</td><td class="num">${percent(p.accuracy)}</td></tr>`,
  )}</tbody></table></details></section>`;
}

function perClassSection(report: Report | null): SafeHtml {
  if (!report) return html`<section id="per-class"><h2>Accuracy per class</h2><p class="sub">Comes with the report when the run finishes.</p></section>`;
  const accuracy = report.accuracy;
  if (!accuracy) return html`<section id="per-class"><h2>Accuracy per class</h2><p>The input has no gold labels: accuracy is not known.</p></section>`;
  return html`<section id="per-class"><h2>Accuracy per class</h2>
<table id="per-class-table"><thead><tr><th>Gold label</th><th class="num">Correct</th><th class="num">Rows</th><th class="num">Accuracy</th></tr></thead><tbody>
${Object.entries(accuracy.perClass).map(
  ([label, cell]) =>
    html`<tr data-label="${label}"><th scope="row" data-field="label">${label}</th><td class="num" data-field="correct">${count(cell.correct)}</td><td class="num" data-field="total">${count(cell.total)}</td><td class="num" data-field="accuracy">${percent(cell.accuracy)}</td></tr>`,
)}
<tr><th scope="row">all</th><td class="num">${count(accuracy.overall.correct)}</td><td class="num">${count(accuracy.overall.total)}</td><td class="num">${percent(accuracy.overall.accuracy)}</td></tr>
</tbody></table></section>`;
}

function downloadsSection(run: RunView): SafeHtml {
  if (!run.report) return html`<section id="downloads"><h2>Outputs</h2><p class="sub">results.jsonl, rejects.jsonl and report.json are written when the run finishes.</p></section>`;
  return html`<section id="downloads"><h2>Outputs</h2><ul>${RUN_DOWNLOADS.map(
    (file) => html`<li><a href="${runHref(run.runId, file)}" download="${`${run.runId}-${file}`}">${file}</a></li>`,
  )}</ul></section>`;
}

/** A guarantee run's threshold comes from its own sampling phase, not from a calibration record. */
function guaranteeSection(source: Extract<DeltaSource, { kind: 'guarantee' }>): SafeHtml {
  const target = source.target.target === 'guarantee' ? source.target : undefined;
  const promise = target
    ? html`with probability at least ${percent(1 - target.alpha)}, ${target.metric === 'agreement' ? html`DS+ agrees with the large model on at least ${percent(target.T)} of this run's rows` : html`${target.metric} for class <strong>${target.label ?? ''}</strong> is at least ${percent(target.T)} on this run's rows`}`
    : null;
  return html`<section id="calibration"><h2>Delta: guarantee</h2>
<p>${source.threshold === null ? html`No threshold could be certified: every row went to the large model.` : html`Threshold <span data-field="threshold">${source.threshold}</span> certified by the sampling phase (${source.method}): ${promise}.`}</p>
<p class="sub">The large model answered <span data-field="rows-sampled">${count(source.rowsSampled)}</span> sampled rows (kept as their results) of ${count(source.population)} scored; ${count(source.rowsAsked)} asked in all. ${source.reason}</p></section>`;
}
