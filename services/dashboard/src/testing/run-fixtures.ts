import { CalibrationRecordSchema, ReportSchema, type CalibrationRecord, type Report } from '@datashunt/contracts';
import type { RunEntry, RunProgressState, RunSnapshot } from '@datashunt/runs';

/** Runs as S3 and Redis would hold them, for the pages' unit tests. */

export const XSS = `<img src=x onerror="alert('x')">`;

export function snapshot(over: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    runId: 'tickets-1a2b3c4d',
    manifestKey: 'manifests/tickets.json',
    manifestBucket: 'b',
    manifestEtag: 'e',
    manifest: {
      name: 'tickets',
      task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'spam?', inputKind: 'text' },
      input: { uri: 'datasets/t.jsonl', format: 'jsonl' },
      smallModel: { name: 'spam-text', useLearnable: false },
      largeModel: { endpoint: 'default', model: 'gpt-x', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, maxOutputTokens: 8, temperature: 0 },
      delta: 0.97,
      strategy: 'shunt',
      promptMode: 'soft',
      promptPruneThreshold: 0.01,
      budgetUsd: 2,
      output: { prefix: 'runs/' },
      shardSize: 100,
    } as RunSnapshot['manifest'],
    deltaSource: { kind: 'calibration', target: { target: 'max-accuracy' }, calibratedAt: '2025-01-01T00:00:00.000Z', modelVersion: 'v3' },
    input: { bucket: 'b', key: 'datasets/t.jsonl' },
    createdAt: '2025-01-02T10:00:00.000Z',
    ...over,
  };
}

export function report(over: Partial<Report> = {}): Report {
  return ReportSchema.parse({
    runId: 'tickets-1a2b3c4d',
    status: 'succeeded',
    manifestKey: 'manifests/tickets.json',
    createdAt: '2025-01-02T10:00:00.000Z',
    finishedAt: '2025-01-02T10:01:05.000Z',
    delta: 0.97,
    deltaSource: { kind: 'calibration', target: { target: 'max-accuracy' }, calibratedAt: '2025-01-01T00:00:00.000Z', modelVersion: 'v3' },
    promptMode: 'soft',
    largeModel: 'gpt-x',
    modelVersions: { specific: 'v3', learnable: null },
    rows: 1002,
    results: 1000,
    rejects: 2,
    bySource: { small: 800, learnable: 0, large: 190, fallback: 10 },
    fallbackReasons: { over_budget: 10 },
    queryProportion: 0.2,
    largeModelCalls: { paid: 180, cached: 20 },
    requests: { sent: 185, paid: 180, possiblyPaid: 1, possiblyPaidUsd: 0.0005 },
    tokens: { input: 40_000, output: 400 },
    costUsd: 0.01234,
    budgetUsd: 2,
    accuracy: {
      overall: { correct: 950, total: 1000, accuracy: 0.95 },
      perClass: { ham: { correct: 640, total: 660, accuracy: 640 / 660 }, spam: { correct: 310, total: 340, accuracy: 310 / 340 } },
      bySource: { small: { correct: 780, total: 800, accuracy: 0.975 }, large: { correct: 162, total: 190, accuracy: 162 / 190 }, fallback: { correct: 8, total: 10, accuracy: 0.8 } },
    },
    wallSeconds: 65,
    ...over,
  });
}

export function entry(over: Partial<RunEntry> = {}): RunEntry {
  return { runId: 'tickets-1a2b3c4d', outputPrefix: 'runs/', snapshot: snapshot(), report: report(), ...over };
}

export function progress(over: Partial<RunProgressState> = {}): RunProgressState {
  return {
    runId: 'tickets-1a2b3c4d',
    outputPrefix: 'runs/',
    manifestKey: 'manifests/tickets.json',
    phase: 'running',
    startedAt: Date.parse('2025-01-02T10:00:00.000Z'),
    updatedAt: Date.parse('2025-01-02T10:00:30.000Z'),
    rows: 1000,
    ingestRejects: 2,
    planned: true,
    shards: 10,
    scored: 600,
    routed: 500,
    hard: 100,
    answered: 40,
    shardsDone: 4,
    shardsWritten: 2,
    ...over,
  };
}

export function calibration(over: Partial<CalibrationRecord> = {}): CalibrationRecord {
  const point = (delta: number, queryShare: number, accuracy: number) => ({
    delta,
    smallRows: Math.round((1 - queryShare) * 200),
    largeRows: Math.round(queryShare * 200),
    correct: Math.round(accuracy * 200),
    accuracy,
    queryShare,
    dollarsPer1k: queryShare * 0.5,
  });
  return CalibrationRecordSchema.parse({
    model: { name: 'spam-text', version: 'v3' },
    calibratedAt: '2025-01-01T00:00:00.000Z',
    sample: { source: 'validation.jsonl', key: 'datasets/calibration/x.jsonl', rows: 200, seed: null, labelled: true },
    largeModel: { endpoint: 'default', model: 'gpt-x', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, promptMode: 'soft' },
    runs: { smallOnly: 's-1', largeOnly: 'l-1' },
    largeModelCalls: { paid: 200, cached: 0 },
    curve: {
      basis: 'gold',
      rows: 200,
      largeCostPerCall: 0.0005,
      smallOnly: { correct: 180, accuracy: 0.9 },
      largeOnly: { correct: 186, accuracy: 0.93 },
      points: [point(0, 0, 0.9), point(0.9, 0.05, 0.93), point(0.97, 0.18, 0.955), point(0.99, 0.4, 0.95), point(1, 1, 0.93)],
    },
    choices: [{ target: { target: 'max-accuracy' }, choice: { feasible: true, point: point(0.97, 0.18, 0.955), reason: 'Most right answers at delta 0.97.' } }],
    ...over,
  });
}
