import { html, type HtmlValue, type SafeHtml } from './html.js';
import type { RunState } from './run-view.js';

/** How often a page of a live run reloads itself (a meta refresh: no script needed). */
export const REFRESH_SECONDS = 5;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#111827;margin:0;background:#f9fafb}
header{background:#111827;color:#f9fafb;padding:10px 24px;display:flex;gap:20px;align-items:baseline}
header a{color:#f9fafb;text-decoration:none}header strong{font-size:16px}
main{padding:16px 24px;max-width:1100px}
h1{font-size:22px;margin:8px 0}h2{font-size:16px;margin:24px 0 8px}
.sub{color:#6b7280;font-size:12px}
table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb}
th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}th[scope=row]{background:#fff;font-weight:400}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.nowrap{white-space:nowrap}
.status{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;background:#e5e7eb;color:#374151}
.status-succeeded{background:#dcfce7;color:#166534}.status-succeeded-with-warnings{background:#fef9c3;color:#854d0e}
.status-failed,.status-refused{background:#fee2e2;color:#991b1b}.status-cancelled{background:#e5e7eb;color:#374151}
.status-planning,.status-running,.status-finalizing{background:#dbeafe;color:#1e40af}
.bar{height:14px;background:#e5e7eb;border-radius:7px;overflow:hidden;display:flex;max-width:640px}
.bar>span{display:block;height:100%}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0;max-width:960px}
.stats div{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:8px 12px}
.stats dt{color:#6b7280;font-size:12px}.stats dd{margin:0;font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.note{background:#fff;border-left:4px solid #9ca3af;padding:8px 12px;max-width:900px}
.note.bad{border-color:#dc2626}.note.warn{border-color:#ca8a04}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.chart{background:#fff;border:1px solid #e5e7eb;max-width:100%;height:auto}
`;

export function page(title: string, body: SafeHtml, options: { refresh: boolean }): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refresh ? html`<meta http-equiv="refresh" content="${REFRESH_SECONDS}">` : null}
<title>${title} · datashunt</title>
<style>${STYLE}</style></head>
<body><header><strong><a href="/runs">datashunt</a></strong><a href="/runs">Runs</a><a href="/">Queues (Bull Board)</a></header>
<main>${body}</main></body></html>`;
}

export function statusBadge(state: RunState): SafeHtml {
  return html`<span class="status status-${state}" data-field="status">${state}</span>`;
}

/** A horizontal bar of segments (fractions of the whole, in order), readable without script or images. */
export function bar(label: string, segments: Array<{ fraction: number; color: string; name: string }>): SafeHtml {
  const total = segments.reduce((sum, s) => sum + s.fraction, 0);
  return html`<div class="bar" role="progressbar" aria-label="${label}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.round(Math.min(1, total) * 100)}">${segments.map(
    (s) => html`<span style="${`width:${(Math.min(1, Math.max(0, s.fraction)) * 100).toFixed(2)}%;background:${s.color}`}" title="${s.name}"></span>`,
  )}</div>`;
}

/** A card of the stats grid; `field` names it for tests and scripts that read the page. */
export function stat(label: string, field: string, value: HtmlValue): SafeHtml {
  return html`<div><dt>${label}</dt><dd data-field="${field}">${value}</dd></div>`;
}

export function runHref(runId: string, file?: string): string {
  return `/runs/${encodeURIComponent(runId)}${file ? `/${file}` : ''}`;
}
