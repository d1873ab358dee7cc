import { checkManifest } from './manifest-validation.js';

const valid = {
  task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this mail spam?' },
  input: { uri: 'datasets/spam/test.jsonl' },
  smallModel: { name: 'spam-text' },
  largeModel: { model: 'gpt-4o-mini', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, rateLimitRpm: 600 },
  delta: 0.97,
  budgetUsd: 5,
};

describe('checkManifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const check = checkManifest(Buffer.from(JSON.stringify(valid)));
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(check.manifest.promptMode).toBe('soft');
      expect(check.manifest.output.prefix).toBe('runs/');
      expect(check.manifest.shardSize).toBe(5000);
    }
  });

  it('names the field path and reason of each problem', () => {
    const bad = { ...valid, delta: 1.5, task: { ...valid.task, labels: ['a', 'a'] } };
    const check = checkManifest(Buffer.from(JSON.stringify(bad)));
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.issues.map((i) => i.path).sort()).toEqual(['delta', 'task.labels']);
      expect(check.message).toContain('labels must be unique');
    }
  });

  it('reports JSON that does not parse', () => {
    const check = checkManifest(Buffer.from('{"task": '));
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toBe('manifest is not valid JSON');
  });
});
