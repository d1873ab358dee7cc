import { decideRunStatus, type RunOutcomeFacts } from './run-status.js';

const clean: RunOutcomeFacts = { rows: 10, results: 10, rejects: 0, fallbackReasons: {}, failedShards: [], unfinishedRows: 0, breaker: null, cancelled: null, maxRejectShare: null };

describe('decideRunStatus', () => {
  it('succeeds when every row has a result and nothing fell back', () => {
    expect(decideRunStatus(clean)).toEqual({ status: 'succeeded', failure: null, warnings: [] });
  });

  it('warns about rejects and fallbacks without failing', () => {
    const decided = decideRunStatus({ ...clean, results: 8, rejects: 2, fallbackReasons: { llm_error: 1, over_budget: 0 } });
    expect(decided.status).toBe('succeeded-with-warnings');
    expect(decided.warnings).toEqual(['2 of 10 rows were rejected (see rejects.jsonl)', "1 rows fell back to the small model's answer (llm_error)"]);
  });

  it('fails when every row was rejected, or the input was empty', () => {
    expect(decideRunStatus({ ...clean, results: 0, rejects: 5496 })).toMatchObject({ status: 'failed', failure: 'all 5496 rows were rejected (see rejects.jsonl)' });
    expect(decideRunStatus({ ...clean, rows: 0, results: 0 })).toMatchObject({ status: 'failed', failure: 'the input held no rows' });
  });

  it('fails above the manifest reject limit, and not at it', () => {
    expect(decideRunStatus({ ...clean, results: 9, rejects: 1, maxRejectShare: 0.1 }).status).toBe('succeeded-with-warnings');
    expect(decideRunStatus({ ...clean, results: 8, rejects: 2, maxRejectShare: 0.1 })).toMatchObject({ status: 'failed', failure: expect.stringContaining('above the manifest') });
  });

  it('fails with the provider message when the breaker tripped, and names failed shards', () => {
    const decided = decideRunStatus({ ...clean, breaker: 'large model answered 401: invalid key', failedShards: [{ shard: 3, reason: 'ECONNREFUSED' }], unfinishedRows: 4 });
    expect(decided.status).toBe('failed');
    expect(decided.failure).toBe(
      'the large-model endpoint refused the run: large model answered 401: invalid key; shard 3 failed: ECONNREFUSED; 4 rows not finished; `datashunt runs resume` finishes them without paying again for answers already received',
    );
  });

  it('fails a run whose every finished row is rejected, but not one whose rows are only unfinished', () => {
    expect(decideRunStatus({ ...clean, results: 0, rejects: 10 }).failure).toMatch(/all 10 rows were rejected/);
    const unfinished = decideRunStatus({ ...clean, results: 0, rejects: 0, unfinishedRows: 10, failedShards: [{ shard: 0, reason: 'S3 down' }] });
    expect(unfinished.status).toBe('failed');
    expect(unfinished.failure).not.toMatch(/rejected|no rows/);
  });

  it('is cancelled when a person cancelled it, keeping the note first among the warnings and any failure', () => {
    const decided = decideRunStatus({ ...clean, cancelled: 'cancelled by ops at 2026-11-29T10:00:00Z', fallbackReasons: { cancelled: 4 } });
    expect(decided).toEqual({
      status: 'cancelled',
      failure: null,
      warnings: ['cancelled by ops at 2026-11-29T10:00:00Z', "4 rows fell back to the small model's answer (cancelled)"],
    });
    expect(decideRunStatus({ ...clean, cancelled: 'cancelled by ops', breaker: '401' })).toMatchObject({ status: 'cancelled', failure: expect.stringContaining('401') });
  });
});
