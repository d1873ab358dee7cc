import { accuracyRange, calibrationChart } from './calibration-chart.js';
import { calibration } from './testing/run-fixtures.js';

describe('calibrationChart', () => {
  it('draws every curve point, rings the chosen delta and marks the run', () => {
    const svg = calibrationChart(calibration(), { delta: 0.97, run: { queryShare: 0.19, accuracy: 0.952 } }).text;
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(svg.match(/<circle [^>]*r="3" fill="#fff"/g)).toHaveLength(5);
    expect(svg).toContain('<g class="chosen" data-delta="0.97">');
    expect(svg).toContain('chosen delta 0.97');
    expect(svg).toContain('<g class="this-run">');
    expect(svg).toContain('this run: accuracy 95.2%, query share 19.0%');
    expect(svg).toContain('small model alone: 90.0%');
    expect(svg).toContain('large model alone: 93.0%');
  });

  it('reads each share as dollars per 1,000 rows on the x axis', () => {
    // x runs to 100% (delta 1 sends every row); $0.0005 a call is $0.50 per 1,000 rows there.
    const svg = calibrationChart(calibration(), { delta: 0.97 }).text;
    expect(svg).toContain('>100.0%</text>');
    expect(svg).toContain('>$0.5000</text>');
    expect(svg).not.toContain('this-run');
  });

  it('marks nothing for a delta that is not on the curve, and escapes the model name', () => {
    const record = calibration({ model: { name: '<b>m</b>', version: 'v"1' } });
    const svg = calibrationChart(record, { delta: 0.5 }).text;
    expect(svg).not.toContain('class="chosen"');
    expect(svg).toContain('aria-label="calibration curve of &lt;b&gt;m&lt;/b&gt; v&quot;1"');
  });

  it('names agreement with the large model as the y axis of an unlabelled calibration', () => {
    const record = calibration();
    const svg = calibrationChart({ ...record, curve: { ...record.curve, basis: 'large-agreement' } }, { delta: 0.97 }).text;
    expect(svg).toContain('agreement with the large model');
  });

  it('pads the accuracy range to 5-point steps within 0..1', () => {
    expect(accuracyRange([0.9, 0.955])).toEqual([0.85, 1]);
    expect(accuracyRange([0.5, 0.6])).toEqual([0.45, 0.65]);
    expect(accuracyRange([1, 1])).toEqual([0.95, 1]);
  });
});
