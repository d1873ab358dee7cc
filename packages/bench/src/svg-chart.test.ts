import { autoRange, renderLineChart } from './svg-chart';

describe('renderLineChart', () => {
  const svg = renderLineChart({
    title: 'spam: DS+ accuracy against delta',
    xLabel: 'delta',
    yLabel: 'accuracy',
    x: [0.9, 0.97, 0.99],
    series: [
      { name: 'DS+ accuracy', values: [0.95, 0.962, 0.97], color: '#2563eb', highlight: [2] },
      { name: 'query proportion', values: [0.1, null, 0.4], color: '#d97706', dashed: true },
    ],
    references: [{ name: 'large only', y: 0.965, color: '#dc2626' }],
  });

  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title>spam: DS+ accuracy against delta</title>');
  });

  it('has a marker carrying every series point and a gap for null', () => {
    for (const [x, y] of [[0.9, 0.95], [0.97, 0.962], [0.99, 0.97], [0.9, 0.1], [0.99, 0.4]]) expect(svg).toContain(`data-x="${x}" data-y="${y}"`);
    expect(svg.match(/<circle /g)).toHaveLength(5);
    const queryPath = /data-name="query proportion">\s*<path d="([^"]+)"/.exec(svg)![1]!;
    expect(queryPath.match(/M/g)).toHaveLength(2); // the line restarts after the gap
  });

  it('labels the x ticks, draws the reference line and highlights chosen points', () => {
    for (const tick of ['0.9', '0.97', '0.99']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain('data-name="large only" data-y="0.965"');
    expect(svg).toMatch(/r="5" fill="#2563eb"[^>]*data-x="0.99"/);
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it('escapes text', () => {
    expect(renderLineChart({ title: 'a<b & "c"', xLabel: 'x', yLabel: 'y', x: [1], series: [] })).toContain('a&lt;b &amp; &quot;c&quot;');
  });
});

describe('autoRange', () => {
  it('pads the data and stays within [0, 1]', () => {
    const [lo, hi] = autoRange([0.93, 0.97]);
    expect(lo).toBeLessThanOrEqual(0.93);
    expect(hi).toBeGreaterThanOrEqual(0.97);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(autoRange([])).toEqual([0, 1]);
  });
});
