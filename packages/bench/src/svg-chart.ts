/** A dependency-free SVG line chart (pure: data in, markup out). */

export interface Series {
  name: string;
  /** y per x, same length as the chart's x values; null leaves a gap. */
  values: ReadonlyArray<number | null>;
  color: string;
  dashed?: boolean;
  /** Bold markers at these indices (Fig. 7: where DS+ beats the large model). */
  highlight?: readonly number[];
}

export interface ReferenceLine {
  name: string;
  y: number;
  color: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x values; drawn evenly spaced (a delta grid is dense near 1), labelled with `formatX`. */
  x: readonly number[];
  series: readonly Series[];
  references?: readonly ReferenceLine[];
  /** Defaults to a range around the data, within [0, 1] for shares. */
  yRange?: [number, number];
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number) => (Math.round(n * 100) / 100).toString();

/** Nice y range: the data (and references) padded a little, rounded to 5-point steps of a percent scale. */
export function autoRange(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.08, 0.01);
  lo = Math.max(0, Math.floor((lo - pad) * 20) / 20);
  hi = Math.min(1, Math.ceil((hi + pad) * 20) / 20);
  if (hi <= lo) hi = lo + 0.05;
  return [lo, hi];
}

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const margin = { left: 58, right: 16, top: 34, bottom: 78 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const fx = chart.formatX ?? ((x: number) => String(x));
  const fy = chart.formatY ?? ((y: number) => `${(y * 100).toFixed(0)}%`);
  const all = [...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null)), ...(chart.references ?? []).map((r) => r.y)];
  const [y0, y1] = chart.yRange ?? autoRange(all);
  const n = chart.x.length;
  const px = (i: number) => margin.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const py = (y: number) => margin.top + plotH - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(chart.title)}">`,
  );
  out.push(`<title>${esc(chart.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${margin.left}" y="20" font-size="14" font-weight="600" fill="#111">${esc(chart.title)}</text>`);

  // Grid and y ticks.
  const ticks = 5;
  for (let t = 0; t <= ticks; t++) {
    const y = y0 + ((y1 - y0) * t) / ticks;
    const yy = num(py(y));
    out.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${margin.left - 6}" y="${yy}" dy="4" text-anchor="end" fill="#555">${esc(fy(y))}</text>`);
  }
  // x ticks.
  chart.x.forEach((x, i) => {
    out.push(`<line x1="${num(px(i))}" y1="${margin.top + plotH}" x2="${num(px(i))}" y2="${margin.top + plotH + 4}" stroke="#888"/>`);
    out.push(`<text x="${num(px(i))}" y="${margin.top + plotH + 16}" text-anchor="middle" fill="#555">${esc(fx(x))}</text>`);
  });
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 34}" text-anchor="middle" fill="#333">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(chart.yLabel)}</text>`);

  for (const ref of chart.references ?? []) {
    const yy = num(py(ref.y));
    out.push(`<g class="reference" data-name="${esc(ref.name)}" data-y="${ref.y}">`);
    out.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="${ref.color}" stroke-width="1.5" stroke-dasharray="2 3"/>`);
    out.push(`<title>${esc(`${ref.name}: ${fy(ref.y)}`)}</title></g>`);
  }

  for (const s of chart.series) {
    out.push(`<g class="series" data-name="${esc(s.name)}">`);
    let path = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      path += `${path && s.values[i - 1] !== null ? 'L' : 'M'}${num(px(i))} ${num(py(v))} `;
    });
    out.push(`<path d="${path.trim()}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    s.values.forEach((v, i) => {
      if (v === null) return;
      const bold = s.highlight?.includes(i);
      out.push(
        `<circle cx="${num(px(i))}" cy="${num(py(v))}" r="${bold ? 5 : 3}" fill="${bold ? s.color : '#fff'}" stroke="${s.color}" stroke-width="2" data-x="${chart.x[i]}" data-y="${v}"><title>${esc(`${s.name} at ${fx(chart.x[i]!)}: ${fy(v)}`)}</title></circle>`,
      );
    });
    out.push('</g>');
  }

  // Legend under the axis title.
  const items = [
    ...chart.series.map((s) => ({ name: s.name, color: s.color, dash: s.dashed ? '6 4' : '' })),
    ...(chart.references ?? []).map((r) => ({ name: r.name, color: r.color, dash: '2 3' })),
  ];
  let lx = margin.left;
  const ly = height - 14;
  for (const item of items) {
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${item.color}" stroke-width="2"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 27}" y="${ly}" fill="#333">${esc(item.name)}</text>`);
    lx += 36 + item.name.length * 6.6;
  }
  out.push('</svg>');
  return out.join('\n');
}
