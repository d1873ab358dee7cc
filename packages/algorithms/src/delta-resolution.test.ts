import { CalibrationRecordSchema, DeltaTargetSpecSchema, ManifestSchema, type CalibrationRecord } from '@datashunt/contracts';
import { deltaCurve } from './delta-curve.js';
import { resolveDelta } from './delta-resolution.js';

/** 100 labelled rows: the small model is right on its 60 confident rows and half the rest, the large model on 90 of all. */
function record(): CalibrationRecord {
  const rows = Array.from({ length: 100 }, (_, i) => ({
    smallLabel: i < 60 || i % 2 === 0 ? 'a' : 'b',
    smallConfidence: i < 60 ? 0.99 : 0.6,
    largeLabel: i < 90 ? 'a' : 'b',
    gold: 'a',
  }));
  return CalibrationRecordSchema.parse({
    model: { name: 'm', version: 'v1' },
    calibratedAt: '2026-11-29T05:00:00.000Z',
    sample: { source: 'val.jsonl', key: 'datasets/calibration/m/v1/s.jsonl', rows: 100, seed: null, labelled: true },
    largeModel: { endpoint: 'default', model: 'gpt', pricing: { inputPer1M: 1, outputPer1M: 2 }, promptMode: 'soft' },
    runs: { smallOnly: 'r1', largeOnly: 'r2' },
    largeModelCalls: { paid: 100, cached: 0 },
    curve: deltaCurve(rows, { largeCostPerCall: 0.001, grid: [0, 0.5, 0.9, 1] }),
    choices: [],
  });
}

const model = { name: 'm', version: 'v1' };

describe('resolveDelta', () => {
  it('keeps a number from the manifest as it is', () => {
    expect(resolveDelta(0.93, model, undefined)).toEqual({ ok: true, delta: 0.93, source: { kind: 'manifest' } });
  });

  it('reads a target from the calibration record and says where it came from', () => {
    // delta 0.9 keeps the 60 right confident rows and sends the 40 others to the large model (30 right): 90 correct.
    expect(resolveDelta({ target: 'max-accuracy' }, model, record())).toEqual({
      ok: true,
      delta: 0.9,
      source: { kind: 'calibration', target: { target: 'max-accuracy' }, calibratedAt: '2026-11-29T05:00:00.000Z', modelVersion: 'v1' },
    });
    // A query share of at most 10% leaves delta 0 and 0.5 (no large rows): the small model's 80 correct.
    expect(resolveDelta({ target: 'budget', maxQueryShare: 0.1 }, model, record())).toMatchObject({ ok: true, delta: 0 });
  });

  it('refuses a target without a calibration record, and says to run calibrate', () => {
    const resolved = resolveDelta({ target: 'max-accuracy' }, model, undefined);
    expect(resolved).toEqual({ ok: false, message: expect.stringContaining('version v1 has no calibration record: run `datashunt calibrate` first') });
    expect(resolveDelta({ target: 'max-accuracy' }, { name: 'm', version: undefined }, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/no current specific version/) });
  });

  it('never reads the guarantee target from a record (each run chooses it), and defaults T and alpha', () => {
    const spec = DeltaTargetSpecSchema.parse({ target: 'guarantee' });
    expect(spec).toEqual({ target: 'guarantee', T: 0.95, alpha: 0.1, metric: 'agreement' });
    expect(DeltaTargetSpecSchema.parse({ target: 'guarantee', T: 0.9, metric: 'recall', label: 'spam' })).toEqual({ target: 'guarantee', T: 0.9, alpha: 0.1, metric: 'recall', label: 'spam' });
    expect(DeltaTargetSpecSchema.safeParse({ target: 'guarantee', metric: 'precision' }).error?.issues[0]?.message).toMatch(/names its class in label/);
    expect(DeltaTargetSpecSchema.safeParse({ target: 'guarantee', label: 'spam' }).success).toBe(false);
    expect(resolveDelta(spec, model, record())).toEqual({ ok: false, message: expect.stringMatching(/^delta target "guarantee" is chosen by the run's own sampling phase/) });
  });

  it('refuses a target the calibration cannot meet, with the curve\'s reason', () => {
    const tight = record();
    tight.curve.points = tight.curve.points.filter((p) => p.largeRows > 0);
    expect(resolveDelta({ target: 'budget', maxQueryShare: 0.1 }, model, tight)).toEqual({ ok: false, message: expect.stringMatching(/cannot be met on the calibration of m v1: No delta on the grid stays within/) });
  });

  it('parses a manifest delta as a number or a target, and refuses an unknown target by field path', () => {
    const base = { task: { type: 'classification', labels: ['a', 'b'], instruction: 'x' }, input: { uri: 'd.jsonl' }, smallModel: { name: 'm' }, largeModel: { model: 'g', pricing: { inputPer1M: 1, outputPer1M: 1 } }, budgetUsd: 1 };
    expect(ManifestSchema.parse({ ...base, delta: { target: 'match-large' } }).delta).toEqual({ target: 'match-large', tolerance: 0.005 });
    expect(ManifestSchema.safeParse({ ...base, delta: { target: 'budget' } }).success).toBe(false);
    expect(ManifestSchema.safeParse({ ...base, delta: { target: 'best' } }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['delta', expect.stringMatching(/^a number in \(0, 1\], or \{"target": "max-accuracy"/)]]);
    expect(ManifestSchema.safeParse({ ...base, delta: 0 }).success).toBe(false);
  });
});
