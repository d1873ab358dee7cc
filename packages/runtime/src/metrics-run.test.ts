import { Registry } from 'prom-client';
import { rejectClass, RunMetrics } from './metrics-run.js';

describe('rejectClass', () => {
  it.each([
    ['line 3: blank line', 'blank'],
    ['line 4: not valid JSON at position 7', 'invalid_json'],
    ['line 5: input must be a string for a text task', 'input_kind'],
    ['expected 784 pixel values for model input shape [28, 28], got 3', 'input_kind'],
    ["line 6: label is not one of the task's labels (ham, spam)", 'label'],
    ['line 7: id: Required', 'schema'],
    ['datasets/p/b.csv record 3 (starts on line 5): blank line', 'blank'],
    ['record 4 (starts on line 9): body (input.fields.text) must be a string for a text task', 'input_kind'],
    ['row 2: png (input.fields.image) is a 8x8 image; the model takes 28x28 grey images', 'input_kind'],
    ["datasets/tickets nov.jsonl line 6: category (input.fields.label) is not one of the task's labels (ham, spam)", 'label'],
    ['row 12: ticket (input.fields.id): missing', 'schema'],
    ["line 8: label is not one of the task's labels (cat image, dog image)", 'label'],
    ['record 5 (starts on line 7): has 2 fields; the header has 3', 'schema'],
    ['something new', 'other'],
  ])('%s -> %s', (reason, expected) => {
    expect(rejectClass(reason)).toBe(expected);
  });
});

describe('RunMetrics', () => {
  const valueOf = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
    const match = (metric.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>).filter(
      (v) => (v.metricName ?? name) === (name.endsWith('_seconds') || name.endsWith('_ratio') ? `${name}_count` : name) && Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return match.reduce((sum, v) => sum + v.value, 0);
  };

  it('counts a part by source and reject class, with every source and class present from zero', async () => {
    const registry = new Registry();
    const metrics = new RunMetrics(registry);
    expect(await registry.metrics()).toMatch(/^datashunt_rows_total\{source="learnable"\} 0$/m);
    metrics.countPart({ results: [{ source: 'small' }, { source: 'large' }, { source: 'large' }], rejects: [{ reason: 'line 9: blank line' }] });
    expect(await valueOf(registry, 'datashunt_rows_total', { source: 'large' })).toBe(2);
    expect(await valueOf(registry, 'datashunt_rows_total')).toBe(3);
    expect(await valueOf(registry, 'datashunt_rejects_total', { reason_class: 'blank' })).toBe(1);
  });

  it('adds tokens and dollars by model only for paid calls, and latency only for requests sent', async () => {
    const registry = new Registry();
    const metrics = new RunMetrics(registry);
    metrics.observeLlmCall({ model: 'm', outcome: 'ok', latencySeconds: 0.2, tokens: { input: 100, output: 2 }, costUsd: 0.25 });
    metrics.observeLlmCall({ model: 'm', outcome: 'cached' });
    metrics.observeLlmCall({ model: 'm', outcome: '429', latencySeconds: 0.01 });
    expect(await valueOf(registry, 'datashunt_llm_calls_total', { model: 'm' })).toBe(3);
    expect(await valueOf(registry, 'datashunt_llm_latency_seconds', { model: 'm' })).toBe(2);
    expect(await valueOf(registry, 'datashunt_llm_tokens_total', { model: 'm', direction: 'input' })).toBe(100);
    expect(await valueOf(registry, 'datashunt_llm_cost_usd_total', { model: 'm' })).toBeCloseTo(0.25, 9);
  });

  it('records budget use as a share, and skips runs without a budget', async () => {
    const registry = new Registry();
    const metrics = new RunMetrics(registry);
    metrics.observeBudgetUse(9.5, 10);
    metrics.observeBudgetUse(0, 0);
    expect(await registry.metrics()).toMatch(/^datashunt_run_budget_used_ratio_bucket\{le="0.9"\} 0$/m);
    expect(await registry.metrics()).toMatch(/^datashunt_run_budget_used_ratio_bucket\{le="0.95"\} 1$/m);
    expect(await valueOf(registry, 'datashunt_run_budget_used_ratio')).toBe(1);
  });
});
