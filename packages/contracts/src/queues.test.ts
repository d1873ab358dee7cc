import { attemptsToRideOut, catalog } from './queues.js';

describe('attemptsToRideOut', () => {
  it('adds attempts until the doubling backoff spans the window', () => {
    // 1 + 2 + 4 + ... + 256 s = 511 s >= 300 s after 9 retries: 10 attempts.
    expect(attemptsToRideOut(300_000, 1_000, 5)).toBe(10);
    expect(attemptsToRideOut(20_000, 1_000, 1)).toBe(6);
  });

  it('never lowers the catalog attempts', () => {
    expect(attemptsToRideOut(0, 1_000, 5)).toBe(5);
  });

  it('is set on every job that reads or writes run data, and not on distillation', () => {
    expect(Object.entries(catalog).filter(([, e]) => 'ridesOutOutages' in e.options).map(([n]) => n).sort()).toEqual(['finalize-run', 'llm-batch', 'llm-call', 'manifest-ingest', 'route-shard', 'score-shard']);
  });
});
