/** Pure renderers of a benchmark's results: the sweep charts (SVG), the HTML page and the Markdown tables. */
import type { ExperimentResult, TimedRun } from './runner.js';
import { renderLineChart } from './svg-chart.js';

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: string;
  largeModel: { model: string; endpoint: string; embedded: boolean };
  experiments: ExperimentResult[];
}

const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`);
const usd = (x: number) => (x < 0.01 ? `$${x.toFixed(5)}` : `$${x.toFixed(4)}`);
const int = (x: number) => x.toLocaleString('en-US');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pt`;

const COLORS = { ds: '#2563eb', query: '#d97706', large: '#dc2626', small: '#16a34a' };

/** Fig. 7 for one data set: accuracy against delta (bold where DS+ beats the large model). */
export function sweepAccuracyChart(exp: ExperimentResult): string {
  const x = exp.sweep.map((r) => r.delta ?? 0);
  const largeAcc = exp.runs.large.summary.accuracy ?? 0;
  const values = exp.sweep.map((r) => r.summary.accuracy);
  return renderLineChart({
    title: `${exp.name}: DS+ accuracy against delta`,
    xLabel: 'shunt threshold delta',
    yLabel: 'accuracy (test)',
    x,
    series: [{ name: 'DS+ accuracy', values, color: COLORS.ds, highlight: values.flatMap((v, i) => (v !== null && v > largeAcc ? [i] : [])) }],
    references: [
      { name: `large only ${pct(largeAcc, 1)}`, y: largeAcc, color: COLORS.large },
      { name: `small only ${pct(exp.runs.small.summary.accuracy, 1)}`, y: exp.runs.small.summary.accuracy ?? 0, color: COLORS.small },
    ],
  });
}

/** Fig. 7's dotted line: share of rows sent to the large model against delta. */
export function sweepQueryChart(exp: ExperimentResult): string {
  return renderLineChart({
    title: `${exp.name}: query proportion against delta`,
    xLabel: 'shunt threshold delta',
    yLabel: 'rows sent to the large model',
    x: exp.sweep.map((r) => r.delta ?? 0),
    series: [{ name: 'query proportion', values: exp.sweep.map((r) => r.summary.queryProportion), color: COLORS.query, dashed: true }],
    yRange: [0, 1],
  });
}

function headline(exp: ExperimentResult): { text: string; beats: boolean; gain: number } {
  const ds = exp.runs.shunt.summary;
  const large = exp.runs.large.summary;
  const gain = (ds.accuracy ?? 0) - (large.accuracy ?? 0);
  const saved = 1 - ds.queryProportion;
  const beats = gain >= 0;
  const text = beats
    ? `DS+ ${pct(ds.accuracy)} vs large model ${pct(large.accuracy)} (${signed(gain)}) with ${pct(ds.queryProportion, 1)} of rows sent to it (${pct(saved, 0)} fewer calls)`
    : `DS+ does not beat the large model: ${pct(ds.accuracy)} vs ${pct(large.accuracy)} (${signed(gain)}) at ${pct(ds.queryProportion, 1)} of its calls`;
  return { text, beats, gain };
}

function mainRows(exp: ExperimentResult): Array<[string, TimedRun]> {
  return [
    ['small only', exp.runs.small],
    ['large only', exp.runs.large],
    [`DS+ (delta ${exp.runs.shunt.delta})`, exp.runs.shunt],
  ];
}

function standInText(exp: ExperimentResult): string {
  const s = exp.standIn as Partial<{ perClass: number; kind: string; temperature: number; source: string }> & { model: string; endpoint: string };
  if (s.perClass === undefined) return `${s.model} at ${s.endpoint}`;
  const what = s.kind === 'image' ? 'nearest-centroid / kNN over 14x14 downsampled pixels' : 'multinomial naive Bayes over word counts';
  return `reference LLM stand-in "${s.model}": ${what}, ${s.perClass} rows per class drawn from ${s.source}, softmax temperature ${s.temperature?.toPrecision(3)} fitted on a disjoint sample of the same size`;
}

function specialistText(exp: ExperimentResult): string {
  const counts = Object.entries(exp.specialist.byLabel)
    .map(([l, n]) => `${l} ${int(n)}`)
    .join(', ');
  return `${exp.specialist.family} trained on ${int(exp.specialist.trainRows)} rows (${counts}); validation accuracy ${pct(exp.specialist.validationAccuracy)}; trained in ${exp.specialist.trainSeconds.toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------- HTML

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#111;background:#f8fafc;margin:0}
main{max-width:1120px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:21px;margin:40px 0 8px;border-top:1px solid #e5e7eb;padding-top:24px}h3{font-size:16px;margin:22px 0 6px}
.sub{color:#555;margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px;margin:18px 0}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px}
.card h3{margin:0 0 6px}.card .big{font-size:24px;font-weight:650}
.good{color:#15803d}.bad{color:#b91c1c}
table{border-collapse:collapse;background:#fff;margin:8px 0 4px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #e5e7eb;padding:5px 10px;text-align:right}th{background:#f1f5f9;font-weight:600}
td:first-child,th:first-child{text-align:left}
tr.ds td{background:#eff6ff;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{background:#fff;border:1px solid #e5e7eb;border-radius:8px}
.note{color:#444;font-size:14px;max-width:900px}
code{background:#eef2f7;padding:1px 4px;border-radius:4px}
`;

function table(head: string[], rows: string[][], rowClass?: (i: number) => string): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r, i) => `<tr${rowClass?.(i) ? ` class="${rowClass(i)}"` : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function experimentHtml(exp: ExperimentResult): string {
  const h = headline(exp);
  const out: string[] = [];
  out.push(`<h2 id="${exp.name}">${esc(exp.name)} <span class="sub">— ${esc(exp.paper)}</span></h2>`);
  out.push(`<p class="${h.beats ? 'good' : 'bad'}"><b>${esc(h.text)}.</b></p>`);
  out.push(
    `<p class="note"><b>Specialist (small model):</b> ${esc(specialistText(exp))}.<br><b>Large model:</b> ${esc(standInText(exp))}.<br><b>Delta</b> ${exp.delta.delta} chosen on ${int(exp.rows.validation)} validation rows (the delta with the best simulated DS+ accuracy, fewest queries among ties): DS+ ${pct(exp.delta.accuracy)} at ${pct(exp.delta.queryProportion, 1)} queries; large alone ${pct(exp.delta.validationLargeAccuracy)}, small alone ${pct(exp.delta.validationSmallAccuracy)}. Test rows: ${int(exp.rows.test)}.</p>`,
  );
  out.push('<h3>Small only, large only, DS+</h3>');
  out.push(
    table(
      ['', 'accuracy', 'query proportion', 'large-model calls (paid / cached)', 'tokens in / out', `cost at list price`, 'per 1k rows', 'wall s', 'lower bound s', 'wall / bound'],
      mainRows(exp).map(([name, r]) => [
        name,
        pct(r.summary.accuracy),
        pct(r.summary.queryProportion, 1),
        `${int(r.paidCalls)} / ${int(r.cachedCalls)}`,
        `${int(r.summary.tokens.input)} / ${int(r.summary.tokens.output)}`,
        usd(r.summary.dollars),
        usd((r.summary.dollars / Math.max(r.summary.rows, 1)) * 1000),
        r.wallSeconds.toFixed(1),
        r.bound.seconds.toFixed(2),
        r.bound.ratio === null ? '–' : `${r.bound.ratio.toFixed(2)}×`,
      ]),
      (i) => (i === 2 ? 'ds' : ''),
    ),
  );
  if (exp.groups.length) {
    out.push(`<h3>By group (${exp.groups.join(' / ')})</h3>`);
    out.push(
      table(
        ['group', 'rows', 'small', 'large', 'DS+', 'DS+ query proportion'],
        exp.groups.map((g) => [
          g,
          int(exp.runs.small.summary.perGroup[g]?.total ?? 0),
          pct(exp.runs.small.summary.perGroup[g]?.accuracy),
          pct(exp.runs.large.summary.perGroup[g]?.accuracy),
          pct(exp.runs.shunt.summary.perGroup[g]?.accuracy),
          pct(exp.runs.shunt.summary.queryProportionByGroup[g], 1),
        ]),
      ),
    );
  }
  out.push('<h3>Per class</h3>');
  out.push(
    table(
      ['class', 'rows', 'small', 'large', 'DS+'],
      exp.labels.map((l) => [l, int(exp.runs.small.summary.perClass[l]?.total ?? 0), pct(exp.runs.small.summary.perClass[l]?.accuracy), pct(exp.runs.large.summary.perClass[l]?.accuracy), pct(exp.runs.shunt.summary.perClass[l]?.accuracy)]),
    ),
  );
  if (exp.sweep.length) {
    out.push('<h3>Delta sweep (Fig. 7)</h3>');
    out.push(`<div class="charts">${sweepAccuracyChart(exp)}${sweepQueryChart(exp)}</div>`);
    out.push(
      table(
        ['delta', 'accuracy', 'vs large', 'query proportion', 'wall s', 'wall / bound'],
        exp.sweep.map((r) => [String(r.delta), pct(r.summary.accuracy), signed((r.summary.accuracy ?? 0) - (exp.runs.large.summary.accuracy ?? 0)), pct(r.summary.queryProportion, 1), r.wallSeconds.toFixed(1), r.bound.ratio === null ? '–' : `${r.bound.ratio.toFixed(2)}×`]),
        (i) => (exp.sweep[i]!.delta === exp.runs.shunt.delta ? 'ds' : ''),
      ),
    );
  }
  out.push(ablationHtml(exp));
  return out.join('\n');
}

function ablationColumns(exp: ExperimentResult): Array<[string, TimedRun | undefined]> {
  const a = exp.ablation;
  return [
    ['DS+', a.status === 'done' ? a.full : undefined],
    ['DS+ − 2CD', a.without2cd],
    ['DS+ − PP − 2CD', a.withoutPpAnd2cd],
  ];
}

function ablationRows(exp: ExperimentResult): string[][] {
  const cols = ablationColumns(exp);
  const rows: string[][] = exp.groups.map((g) => [g, ...cols.map(([, r]) => (r ? pct(r.summary.perGroup[g]?.accuracy) : 'pending'))]);
  rows.push(['overall accuracy', ...cols.map(([, r]) => (r ? pct(r.summary.accuracy) : 'pending'))]);
  rows.push(['query proportion', ...cols.map(([, r]) => (r ? pct(r.summary.queryProportion) : 'pending'))]);
  return rows;
}

function ablationHtml(exp: ExperimentResult): string {
  const a = exp.ablation;
  if (a.status === 'skipped') return '';
  const note = a.status === 'done' ? `2CD: one distillation pass over a first DS+ run on ${int(exp.rows.distillPool)} unlabelled rows (not test, not validation); ${esc(JSON.stringify(pickDistill(a.distill)))}` : `Full DS+ pending: ${esc(a.reason)}`;
  return `<h3>Ablation (Table 5)</h3>${table(['', ...ablationColumns(exp).map(([n]) => n)], ablationRows(exp))}<p class="note">${note}. PP = soft+hard prompt (plain without PP).</p>`;
}

function pickDistill(d: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(['x1', 'x3', 'validation'].filter((k) => k in d).map((k) => [k, d[k]]));
}

export function renderHtmlReport(results: BenchResults): string {
  const cards = results.experiments.map((exp) => {
    const h = headline(exp);
    const ds = exp.runs.shunt.summary;
    return `<div class="card"><h3><a href="#${exp.name}">${esc(exp.name)}</a></h3><div class="big ${h.beats ? 'good' : 'bad'}">${pct(ds.accuracy)} <small>DS+</small></div><div>large ${pct(exp.runs.large.summary.accuracy)} · small ${pct(exp.runs.small.summary.accuracy)}</div><div>${pct(ds.queryProportion, 1)} of rows to the large model · ${usd(ds.dollars)} vs ${usd(exp.runs.large.summary.dollars)}</div><div class="${h.beats ? 'good' : 'bad'}">${signed(h.gain)} vs large</div></div>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>datashunt — paper reproduction benchmark</title><style>${CSS}</style></head>
<body><main>
<h1>Data Shunt+ on real data: paper reproduction</h1>
<p class="sub">${esc(results.finishedAt)} · <code>${esc(results.command)}</code> · ${esc(results.machine)}<br>Large model: <b>${esc(results.largeModel.model)}</b> at ${esc(results.largeModel.endpoint)}${results.largeModel.embedded ? ' (the reference LLM: a stand-in, see the notes per data set)' : ''} · every number below was measured through the pipeline: manifests dropped into S3, results read back from S3.</p>
<div class="cards">${cards.join('')}</div>
${results.experiments.map(experimentHtml).join('\n')}
<h2>How to read this</h2>
<p class="note">Accuracy is on each data set's test split. <b>Query proportion</b> is the share of rows sent to the large model. Cost is the large model's tokens at ${esc(results.experiments[0]?.price.name ?? '')}, whether the response cache answered or not (what a first run pays). <b>Wall</b> is manifest drop to report read back; the <b>lower bound</b> is max(time for the specialist to score the rows it keeps, rows sent to the large model ÷ the rate limit of ${int(results.experiments[0]?.rateLimitRpm ?? 0)} requests/min); the goal is wall within 1.25× of it.</p>
</main></body></html>
`;
}

// ------------------------------------------------------------------------------------------ Markdown

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The tables for docs/benchmarks.md (between the generated-section markers). */
export function renderMarkdownTables(results: BenchResults): string {
  const out: string[] = [];
  out.push(`Run: \`${results.command}\` (${results.finishedAt}, ${results.machine}). Large model: ${results.largeModel.model} at ${results.largeModel.endpoint}.`);
  out.push('');
  out.push(
    mdTable(
      ['data set', 'small only', 'large only', 'DS+', 'DS+ query proportion', 'delta', 'DS+ vs large', 'cost DS+ / large'],
      results.experiments.map((e) => [
        e.name,
        pct(e.runs.small.summary.accuracy),
        pct(e.runs.large.summary.accuracy),
        `**${pct(e.runs.shunt.summary.accuracy)}**`,
        pct(e.runs.shunt.summary.queryProportion, 1),
        String(e.runs.shunt.delta),
        signed((e.runs.shunt.summary.accuracy ?? 0) - (e.runs.large.summary.accuracy ?? 0)),
        `${usd(e.runs.shunt.summary.dollars)} / ${usd(e.runs.large.summary.dollars)}`,
      ]),
    ),
  );
  for (const e of results.experiments) {
    out.push('', `#### ${e.name} (${e.paper})`, '');
    out.push(`Specialist: ${specialistText(e)}. Large model: ${standInText(e)}. Delta ${e.delta.delta} chosen on validation (simulated DS+ ${pct(e.delta.accuracy)} at ${pct(e.delta.queryProportion, 1)} queries).`, '');
    out.push(
      mdTable(
        ['', 'accuracy', 'query proportion', 'tokens in / out', 'cost', 'wall s', 'bound s', 'wall / bound'],
        mainRows(e).map(([n, r]) => [n, pct(r.summary.accuracy), pct(r.summary.queryProportion, 1), `${int(r.summary.tokens.input)} / ${int(r.summary.tokens.output)}`, usd(r.summary.dollars), r.wallSeconds.toFixed(1), r.bound.seconds.toFixed(2), r.bound.ratio === null ? '–' : `${r.bound.ratio.toFixed(2)}×`]),
      ),
    );
    if (e.groups.length) {
      out.push('');
      out.push(mdTable(['group', 'small', 'large', 'DS+', 'DS+ query proportion'], e.groups.map((g) => [g, pct(e.runs.small.summary.perGroup[g]?.accuracy), pct(e.runs.large.summary.perGroup[g]?.accuracy), pct(e.runs.shunt.summary.perGroup[g]?.accuracy), pct(e.runs.shunt.summary.queryProportionByGroup[g], 1)])));
    }
    out.push('');
    out.push(mdTable(['class', 'small', 'large', 'DS+'], e.labels.map((l) => [l, pct(e.runs.small.summary.perClass[l]?.accuracy), pct(e.runs.large.summary.perClass[l]?.accuracy), pct(e.runs.shunt.summary.perClass[l]?.accuracy)])));
    if (e.sweep.length) {
      out.push('', 'Delta sweep (Fig. 7):', '');
      out.push(mdTable(['delta', ...e.sweep.map((r) => String(r.delta))], [['accuracy', ...e.sweep.map((r) => pct(r.summary.accuracy))], ['query proportion', ...e.sweep.map((r) => pct(r.summary.queryProportion, 1))]]));
    }
    if (e.ablation.status !== 'skipped') {
      out.push('', `Ablation (Table 5)${e.ablation.status === 'done' ? '' : ` — full DS+ pending: ${e.ablation.reason}`}:`, '');
      out.push(mdTable(['', ...ablationColumns(e).map(([n]) => n)], ablationRows(e)));
    }
  }
  return out.join('\n');
}

export const DOCS_BEGIN = '<!-- paper-reproduction:tables:begin (generated by the bench; edit the text around it) -->';
export const DOCS_END = '<!-- paper-reproduction:tables:end -->';

/** Replaces the generated tables inside docs/benchmarks.md's "## Paper reproduction" section (adds both when absent). */
export function updateDocsSection(markdown: string, tables: string): string {
  const block = `${DOCS_BEGIN}\n${tables}\n${DOCS_END}`;
  const begin = markdown.indexOf(DOCS_BEGIN);
  const end = markdown.indexOf(DOCS_END);
  if (begin >= 0 && end > begin) return markdown.slice(0, begin) + block + markdown.slice(end + DOCS_END.length);
  return `${markdown.replace(/\s*$/, '')}\n\n## Paper reproduction\n\n${block}\n`;
}
