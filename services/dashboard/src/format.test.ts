import { count, DASH, duration, percent, timestamp, usd } from './format.js';

describe('formatting for the runs pages', () => {
  it('writes counts, shares and dollars, and a dash for what is unknown', () => {
    expect(count(12345)).toBe('12,345');
    expect(percent(0.1234)).toBe('12.3%');
    expect(percent(1)).toBe('100.0%');
    expect(usd(0.001234)).toBe('$0.0012');
    expect(usd(25)).toBe('$25.0000');
    expect([count(null), percent(undefined), usd(null), duration(null), timestamp(null)]).toEqual([DASH, DASH, DASH, DASH, DASH]);
  });

  it('writes durations in the largest sensible unit and instants in UTC', () => {
    expect(duration(42.4)).toBe('42 s');
    expect(duration(185)).toBe('3 min 05 s');
    expect(duration(3 * 3600 + 7 * 60)).toBe('3 h 07 min');
    expect(timestamp('2025-03-04T05:06:07.890Z')).toBe('2025-03-04 05:06:07 UTC');
    expect(timestamp(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025-01-02 03:04:05 UTC');
    expect(timestamp('not a date')).toBe(DASH);
  });
});
