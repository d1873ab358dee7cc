import { drawLatencyMs, parseLatencyRange, RequestCeiling } from './pacing.js';

describe('pacing', () => {
  it('reads a latency range or a fixed latency', () => {
    expect(parseLatencyRange('200-500')).toEqual({ min: 200, max: 500 });
    expect(parseLatencyRange('300')).toEqual({ min: 300, max: 300 });
    expect(() => parseLatencyRange('500-200')).toThrow();
    expect(() => parseLatencyRange('fast')).toThrow(/expected/);
  });

  it('draws latencies uniformly within the range, both ends included', () => {
    expect(drawLatencyMs({ min: 200, max: 500 }, () => 0)).toBe(200);
    expect(drawLatencyMs({ min: 200, max: 500 }, () => 0.999999)).toBe(500);
    expect(drawLatencyMs(undefined)).toBe(0);
  });

  it('admits a second of requests at once, then one per interval', () => {
    let now = 0;
    const ceiling = new RequestCeiling(600, () => now); // 10 per second, one per 100 ms
    for (let i = 0; i < 10; i++) expect(ceiling.take()).toBe(0);
    expect(ceiling.take()).toBe(100);
    now = 50;
    expect(ceiling.take()).toBe(50);
    now = 100;
    expect(ceiling.take()).toBe(0);
    now = 10_000;
    for (let i = 0; i < 10; i++) expect(ceiling.take()).toBe(0);
    expect(ceiling.take()).toBeGreaterThan(0);
  });
});
