import { count, percent, timestamp, usd } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page, runHref, statusBadge } from './page-layout.js';
import type { RunView } from './run-view.js';

/** The runs page: one row per run, newest first; it reloads itself while any run is live. */
export function runsListPage(runs: RunView[], where: string[], now = Date.now()): SafeHtml {
  const rows = runs.map(
    (run) => html`<tr data-run="${run.runId}">
<td><a href="${runHref(run.runId)}" data-field="name">${run.name}</a><div class="sub">${run.runId}</div>${run.reason ? html`<div class="sub" data-field="reason">${run.reason}</div>` : null}</td>
<td>${statusBadge(run.state)}${run.live && run.bar?.fraction != null ? html` <span class="sub" data-field="done">${percent(run.bar.fraction)} done</span>` : null}</td>
<td class="sub nowrap">${timestamp(run.startedAt)}</td>
<td class="num" data-field="rows">${count(run.rows)}</td>
<td class="num" data-field="query-share">${percent(run.queryShare)}</td>
<td class="num" data-field="cost">${usd(run.costUsd)}</td>
<td class="num" data-field="accuracy">${percent(run.accuracy)}</td>
</tr>`,
  );
  const body = html`<h1>Runs</h1>
<p class="sub">${count(runs.length)} runs under ${where.join(', ')} · as of ${timestamp(now)}${runs.some((r) => r.live) ? ' · reloads every few seconds while a run is live' : ''}</p>
${
  runs.length
    ? html`<table id="runs"><thead><tr><th>Run</th><th>Status</th><th>Started</th><th class="num">Rows</th><th class="num">Query share</th><th class="num">Dollars</th><th class="num">Accuracy</th></tr></thead><tbody>${rows}</tbody></table>
<p class="sub">Query share: rows sent to the large model. Accuracy: against the input's gold labels (a dash without labels).</p>`
    : html`<p class="note">No runs yet. Drop a manifest under the manifest prefix to start one.</p>`
}`;
  return page('Runs', body, { refresh: runs.some((r) => r.live) });
}
