import type { CalibrationRecord } from '@datashunt/contracts';
import { html, type SafeHtml } from './html.js';
import { percent, usd } from './format.js';

/** What the chart marks on the curve: the delta the run used, and where the run itself landed (gold labels only). */
export interface CurveMarks {
  delta: number;
  run?: { queryShare: number; accuracy: number } | undefined;
}

const WIDTH = 640;
const HEIGHT = 340;
const M = { left: 66, right: 36, top: 16, bottom: 86 };
const PLOT_W = WIDTH - M.left - M.right;
const PLOT_H = HEIGHT - M.top - M.bottom;
const COLORS = { curve: '#2563eb', chosen: '#1d4ed8', run: '#d97706', small: '#16a34a', large: '#dc2626', grid: '#e5e7eb' };

const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The calibration curve as inline SVG: DS+ accuracy against the share of rows sent to the large
 * model (each share also read as dollars per 1,000 rows), the small and large model alone as
 * reference lines, the chosen delta ringed and the run's own result as a diamond.
 */
export function calibrationChart(record: CalibrationRecord, marks: CurveMarks): SafeHtml {
  const { curve } = record;
  const points = [...curve.points].sort((a, b) => a.queryShare - b.queryShare || b.delta - a.delta);
  const shares = [...points.map((p) => p.queryShare), marks.run?.queryShare ?? 0];
  const xMax = Math.min(1, Math.max(0.1, Math.ceil(Math.max(...shares) * 10) / 10));
  const [y0, y1] = accuracyRange([...points.map((p) => p.accuracy), curve.smallOnly.accuracy, curve.largeOnly.accuracy, ...(marks.run ? [marks.run.accuracy] : [])]);
  const x = (share: number) => r2(M.left + (Math.min(share, xMax) / xMax) * PLOT_W);
  const y = (acc: number) => r2(M.top + PLOT_H - ((Math.min(Math.max(acc, y0), y1) - y0) / (y1 - y0)) * PLOT_H);
  const usdPer1kAt = (share: number) => share * curve.largeCostPerCall * 1000;
  const yLabel = curve.basis === 'gold' ? 'accuracy' : 'agreement with the large model';
  const chosen = points.find((p) => p.delta === marks.delta);
  const ticks = [0, 1, 2, 3, 4, 5];

  const yTicks = ticks.map((t) => {
    const acc = y0 + ((y1 - y0) * t) / 5;
    return html`<line x1="${M.left}" y1="${y(acc)}" x2="${M.left + PLOT_W}" y2="${y(acc)}" stroke="${COLORS.grid}"/><text x="${M.left - 6}" y="${y(acc)}" dy="4" text-anchor="end">${percent(acc)}</text>`;
  });
  const xTicks = ticks.map((t) => {
    const share = (xMax * t) / 5;
    return html`<line x1="${x(share)}" y1="${M.top + PLOT_H}" x2="${x(share)}" y2="${M.top + PLOT_H + 4}" stroke="#888"/><text x="${x(share)}" y="${M.top + PLOT_H + 17}" text-anchor="middle">${percent(share)}</text><text x="${x(share)}" y="${M.top + PLOT_H + 31}" text-anchor="middle" fill="#6b7280">${usd(usdPer1kAt(share))}</text>`;
  });
  const reference = (name: string, acc: number, color: string) =>
    html`<g class="reference"><line x1="${M.left}" y1="${y(acc)}" x2="${M.left + PLOT_W}" y2="${y(acc)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 4"/><title>${name}: ${percent(acc)}</title></g>`;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.queryShare)} ${y(p.accuracy)}`).join(' ');
  const dots = points.map(
    (p) =>
      html`<circle cx="${x(p.queryShare)}" cy="${y(p.accuracy)}" r="3" fill="#fff" stroke="${COLORS.curve}" stroke-width="1.5"><title>delta ${p.delta}: ${yLabel} ${percent(p.accuracy)}, query share ${percent(p.queryShare)}, ${usd(p.dollarsPer1k)} per 1,000 rows</title></circle>`,
  );
  const legend: Array<[string, string, string]> = [
    ['DS+ at each delta', COLORS.curve, ''],
    ['small model alone', COLORS.small, '4 4'],
    ['large model alone', COLORS.large, '4 4'],
  ];
  const legendY = HEIGHT - 14;

  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${`calibration curve of ${record.model.name} ${record.model.version}`}" font-size="11" fill="#374151">
<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="#fff" stroke="#9ca3af"/>
${yTicks}${xTicks}
<text x="${M.left + PLOT_W / 2}" y="${M.top + PLOT_H + 48}" text-anchor="middle" fill="#111">share of rows sent to the large model (and $ per 1,000 rows)</text>
<text transform="translate(16 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#111">${yLabel}</text>
${reference('small model alone', curve.smallOnly.accuracy, COLORS.small)}${reference('large model alone', curve.largeOnly.accuracy, COLORS.large)}
<path d="${path}" fill="none" stroke="${COLORS.curve}" stroke-width="2"/>
${dots}
${
  chosen
    ? html`<g class="chosen" data-delta="${chosen.delta}"><circle cx="${x(chosen.queryShare)}" cy="${y(chosen.accuracy)}" r="7" fill="none" stroke="${COLORS.chosen}" stroke-width="2.5"/><circle cx="${x(chosen.queryShare)}" cy="${y(chosen.accuracy)}" r="3.5" fill="${COLORS.chosen}"/><text x="${x(chosen.queryShare) + 10}" y="${y(chosen.accuracy) - 10}" fill="${COLORS.chosen}" font-weight="600">chosen delta ${chosen.delta}</text></g>`
    : null
}
${
  marks.run
    ? html`<g class="this-run"><path d="M${x(marks.run.queryShare)} ${r2(y(marks.run.accuracy) - 7)} l7 7 l-7 7 l-7 -7 z" fill="${COLORS.run}"/><title>this run: ${yLabel} ${percent(marks.run.accuracy)}, query share ${percent(marks.run.queryShare)}</title></g>`
    : null
}
${legend.map(
  ([name, color, dash], i) =>
    html`<line x1="${M.left + i * 170}" y1="${legendY - 4}" x2="${M.left + i * 170 + 22}" y2="${legendY - 4}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash || 'none'}"/><text x="${M.left + i * 170 + 27}" y="${legendY}">${name}</text>`,
)}
${marks.run ? html`<path d="M${M.left + 510} ${legendY - 10} l6 6 l-6 6 l-6 -6 z" fill="${COLORS.run}"/><text x="${M.left + 520}" y="${legendY}">this run</text>` : null}
</svg>`;
}

/** The accuracies padded a little and rounded out to 5-point steps, within 0..1. */
export function accuracyRange(values: number[]): [number, number] {
  const lo = Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20);
  return hi > lo ? [lo, hi] : [Math.max(0, hi - 0.05), Math.max(hi, 0.05)];
}
