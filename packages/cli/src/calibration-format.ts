import { renderLineChart } from '@datashunt/bench';
import type { CalibrationRecord, DeltaTargetSpec } from '@datashunt/contracts';
import { table } from './text-table.js';

type Choice = CalibrationRecord['choices'][number];
type Point = CalibrationRecord['curve']['points'][number];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const usd = (x: number) => `$${x.toFixed(4)}`;

export const NO_LABELS_NOTE =
  'without labels accuracy means agreement with the large model: the large model scores 100% by definition, so this sample cannot show when it is the weaker one';

export function describeTarget(target: DeltaTargetSpec): string {
  switch (target.target) {
    case 'match-large':
      return `match-large (tolerance ${pct(target.tolerance)})`;
    case 'budget':
      return `budget (${[target.maxQueryShare === undefined ? '' : `query share <= ${pct(target.maxQueryShare)}`, target.maxUsdPer1k === undefined ? '' : `<= $${target.maxUsdPer1k} per 1,000 rows`].filter(Boolean).join(', ')})`;
    default:
      return target.target;
  }
}

/** The choice for the target the user asked about (calibrate always records it). */
export function choiceFor(record: CalibrationRecord, target: DeltaTargetSpec['target']): Choice {
  const found = record.choices.find((c) => c.target.target === target);
  if (!found) throw new Error(`the calibration record has no choice for target ${target}`);
  return found;
}

/** The calibration as a person reads it: the choice, its reason, every target, the curve and a chart. */
export function formatCalibration(record: CalibrationRecord, chosen: DeltaTargetSpec['target'], recordUri: string): string {
  const { curve, sample } = record;
  const main = choiceFor(record, chosen);
  const lines = [
    `calibrated ${record.model.name} ${record.model.version} on ${sample.rows} ${sample.labelled ? 'labelled' : 'unlabelled'} rows of ${sample.source}` +
      `${sample.seed === null ? '' : ` (drawn with seed ${sample.seed})`} against ${record.largeModel.model} (endpoint ${record.largeModel.endpoint}, prompt ${record.largeModel.promptMode})`,
    `  large-model calls: ${record.largeModelCalls.paid} paid, ${record.largeModelCalls.cached} cached; ${usd(curve.largeCostPerCall * 1000)} per 1,000 rows sent to it`,
    `  small model alone ${pct(curve.smallOnly.accuracy)}, large model alone ${pct(curve.largeOnly.accuracy)}${curve.basis === 'gold' ? ' (against the labels)' : ' (agreement with the large model)'}`,
    main.choice.feasible
      ? `  chosen for ${describeTarget(main.target)}: delta ${main.choice.point.delta} -> accuracy ${pct(main.choice.point.accuracy)}, query share ${pct(main.choice.point.queryShare)}, ${usd(main.choice.point.dollarsPer1k)} per 1,000 rows`
      : `  no delta meets ${describeTarget(main.target)}`,
    `  ${main.choice.reason}`,
  ];
  if (curve.basis === 'large-agreement') lines.push(`  note: ${NO_LABELS_NOTE}`);
  const others = record.choices.filter((c) => c !== main);
  if (others.length) {
    lines.push('  other targets:');
    for (const c of others) lines.push(`    ${describeTarget(c.target)}: ${c.choice.feasible ? `delta ${c.choice.point.delta} (${pct(c.choice.point.accuracy)}, query share ${pct(c.choice.point.queryShare)})` : c.choice.reason}`);
  }
  lines.push('', 'curve:', table(['delta', 'small rows', 'large rows', 'accuracy', 'query share', '$ per 1k rows'], curve.points.map((p) => [p.delta, p.smallRows, p.largeRows, pct(p.accuracy), pct(p.queryShare), usd(p.dollarsPer1k)])));
  lines.push('', `accuracy against $ per 1,000 rows (* DS+ at a delta, O the chosen one, S small alone, L large alone):`, asciiChart(record, main));
  lines.push('', `record: ${recordUri}`);
  return lines.join('\n');
}

/** A character-cell scatter: cost across, accuracy up. */
export function asciiChart(record: CalibrationRecord, main: Choice, width = 60, height = 14): string {
  const { curve } = record;
  const allLarge = curve.largeCostPerCall * 1000;
  const marks: Array<{ x: number; y: number; c: string }> = [
    ...curve.points.map((p) => ({ x: p.dollarsPer1k, y: p.accuracy, c: '*' })),
    { x: 0, y: curve.smallOnly.accuracy, c: 'S' },
    { x: allLarge, y: curve.largeOnly.accuracy, c: 'L' },
    ...(main.choice.feasible ? [{ x: main.choice.point.dollarsPer1k, y: main.choice.point.accuracy, c: 'O' }] : []),
  ];
  const ys = marks.map((m) => m.y);
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const xMax = Math.max(allLarge, ...marks.map((m) => m.x)) || 1;
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  for (const m of marks) {
    const col = Math.round((m.x / xMax) * (width - 1));
    const row = height - 1 - (y1 === y0 ? 0 : Math.round(((m.y - y0) / (y1 - y0)) * (height - 1)));
    grid[row]![col] = m.c;
  }
  const label = (y: number) => pct(y).padStart(6);
  return [
    ...grid.map((cells, r) => `${r === 0 ? label(y1) : r === height - 1 ? label(y0) : ' '.repeat(6)} |${cells.join('').trimEnd()}`),
    `${' '.repeat(6)} +${'-'.repeat(width)}`,
    `${' '.repeat(8)}$0${' '.repeat(Math.max(1, width - 2 - usd(xMax).length))}${usd(xMax)}`,
  ].join('\n');
}

/** The same curve as an SVG chart: DS+ accuracy at each delta, ordered by what it costs. */
export function calibrationSvg(record: CalibrationRecord, main: Choice): string {
  const points: Point[] = [...record.curve.points].sort((a, b) => a.dollarsPer1k - b.dollarsPer1k || a.delta - b.delta);
  const chosen = main.choice.feasible ? main.choice.point.delta : undefined;
  return renderLineChart({
    title: `${record.model.name} ${record.model.version}: DS+ accuracy against cost (${record.curve.rows} rows)`,
    xLabel: '$ per 1,000 rows (delta); points evenly spaced',
    yLabel: record.curve.basis === 'gold' ? 'accuracy' : 'agreement with the large model',
    x: points.map((p) => p.delta),
    formatX: (delta) => `$${points.find((p) => p.delta === delta)!.dollarsPer1k.toFixed(2)} (${delta})`,
    series: [{ name: 'DS+', values: points.map((p) => p.accuracy), color: '#2563eb', highlight: points.flatMap((p, i) => (p.delta === chosen ? [i] : [])) }],
    references: [
      { name: 'small model alone', y: record.curve.smallOnly.accuracy, color: '#16a34a' },
      { name: 'large model alone', y: record.curve.largeOnly.accuracy, color: '#dc2626' },
    ],
    width: 900,
  });
}
