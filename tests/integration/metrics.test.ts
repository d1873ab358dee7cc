import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { ReportSchema, runKeys, type Report } from '@datashunt/contracts';
import { portOf, serveRuntimeMetrics } from '@datashunt/runtime';
import { getJson } from '@datashunt/storage';
import type { RunPlan } from '@datashunt/runs';
import { datasetPaths } from '@datashunt/datasets';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type TestStack } from '../support/stack';

const infra = join(__dirname, '..', '..', 'infra');

/** promtool (Debian `prometheus`, installed by scripts/install.sh) is the judge of the exposition format and the rules. */
function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: infra });
  if (run.error) throw new Error("promtool is missing: run scripts/install.sh (it installs Debian's prometheus package)");
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
const promtoolCheck = (exposition: string) => promtool(['check', 'metrics'], exposition);

const get = async (server: Server, path: string) => {
  const res = await fetch(`http://127.0.0.1:${portOf(server)}${path}`);
  return { status: res.status, text: await res.text() };
};

/** /metrics of a stack that has just finished a real run: promtool-clean, queue depth once, no row data. */
describe('metrics endpoint', () => {
  let stack: TestStack;
  let rows: Array<{ id: string; input: string }>;
  let depth: Server;
  let plain: Server;
  let report: Report;
  let shards: number;
  let stopping = false;

  beforeAll(async () => {
    const splits = await spamSplits();
    rows = splits.test.slice(0, 58);
    stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train, env: { METRICS_QUEUE_DEPTH: 'true' } });
    // A small training set: this test needs a finished run, not a good model.
    await trainSpamModel(stack.registry, splits.train.slice(0, 400), splits.validation.slice(0, 100));
    // A blank and a broken line mid-file: rejects of two classes; 60 lines in all, in shards of about 30.
    const lines = toJsonl(rows).split('\n');
    lines.splice(10, 0, '', '{"id": "broken",');
    await stack.put('datasets/metrics.jsonl', lines.join('\n'));
    await stack.dropManifest('manifests/metrics.json', spamManifest('datasets/metrics.jsonl', { shardSize: 30 }));
    const outcome = await stack.watcher.wait('manifests/metrics.json', 120_000);
    if (outcome.status !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(outcome)}`);
    const keys = runKeys('runs/', outcome.runId);
    report = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: keys.report }));
    ({ shards } = await getJson<RunPlan>(stack.runtime.s3, { bucket: stack.runtime.bucket, key: keys.state }));
    depth = await serveRuntimeMetrics(stack.runtime, 0, () => stopping);
    // Every other Deployment: the same process, without METRICS_QUEUE_DEPTH.
    plain = await serveRuntimeMetrics({ ...stack.runtime, config: { ...stack.runtime.config, METRICS_QUEUE_DEPTH: false } }, 0, () => stopping);
  });
  afterAll(async () => {
    depth?.close();
    plain?.close();
    await stack?.dispose();
  });

  it('passes promtool check metrics, with one datashunt_queue_jobs family covering every queue and state', async () => {
    const { status, text } = await get(depth, '/metrics');
    expect(status).toBe(200);
    const check = promtoolCheck(text);
    expect(check).toEqual({ status: 0, output: '' });
    expect(text.match(/^# HELP datashunt_queue_jobs /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE datashunt_queue_jobs gauge$/gm)).toHaveLength(1);
    const series = [...text.matchAll(/^datashunt_queue_jobs\{queue="([^"]+)",state="([^"]+)"\} (\d+)$/gm)];
    expect(new Set(series.map((s) => s[1]))).toEqual(new Set(['ingest', 'score', 'route', 'llm', 'finalize', 'distill']));
    expect(series).toHaveLength(6 * 7);
    const completed = (queue: string) => Number(series.find((s) => s[1] === queue && s[2] === 'completed')![3]);
    // One score job per shard the run was cut into (byte ranges of about 30 lines).
    expect(shards).toBeGreaterThan(1);
    expect(completed('score')).toBe(shards);
    expect(completed('finalize')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(new RegExp(`^datashunt_jobs_total\\{queue="score",job_name="score-shard",outcome="completed",error_type=""\\} ${shards}$`, 'm'));
    expect(text).toMatch(new RegExp(`^datashunt_job_duration_seconds_count\\{queue="score",job_name="score-shard"\\} ${shards}$`, 'm'));
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });

  it("counts the run's rows, rejects, large-model calls, tokens and dollars as its report does", async () => {
    const { text } = await get(plain, '/metrics');
    const sample = (name: string, labels = '') => {
      const found = [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].filter((m) => m[1]!.includes(labels));
      return found.reduce((sum, m) => sum + Number(m[2]), 0);
    };
    expect(report.bySource.large ?? 0).toBeGreaterThan(0);
    expect(sample('datashunt_rows_total')).toBe(report.results);
    for (const source of ['small', 'learnable', 'large', 'fallback']) expect(sample('datashunt_rows_total', `source="${source}"`)).toBe(report.bySource[source as keyof Report['bySource']] ?? 0);
    expect(report.rejects).toBe(2);
    expect(sample('datashunt_rejects_total')).toBe(report.rejects);
    expect(sample('datashunt_rejects_total', 'reason_class="blank"')).toBe(1);
    expect(sample('datashunt_rejects_total', 'reason_class="invalid_json"')).toBe(1);
    const model = 'model="reference-generalist"';
    expect(sample('datashunt_llm_calls_total', `${model},outcome="ok"`)).toBe(report.largeModelCalls.paid);
    expect(sample('datashunt_llm_latency_seconds_count', model)).toBe(report.requests!.sent);
    expect(sample('datashunt_llm_tokens_total', `${model},direction="input"`)).toBe(report.tokens.input);
    expect(sample('datashunt_llm_tokens_total', `${model},direction="output"`)).toBe(report.tokens.output);
    expect(sample('datashunt_llm_cost_usd_total', model)).toBeCloseTo(report.costUsd, 6);
    expect(sample('datashunt_rate_limit_wait_seconds_count', 'limit="endpoint"')).toBe(report.requests!.sent);
    expect(text).toMatch(/^datashunt_run_budget_used_ratio_count 1$/m);
    expect(text).toMatch(/^datashunt_run_budget_used_ratio_sum \S+$/m);
    expect(Number(text.match(/^datashunt_run_budget_used_ratio_sum (\S+)$/m)![1])).toBeCloseTo(report.costUsd / report.budgetUsd, 6);
  });

  it('exports queue depth only where METRICS_QUEUE_DEPTH is set, and stays promtool-clean without it', async () => {
    const { text } = await get(plain, '/metrics');
    expect(text).not.toContain('datashunt_queue_jobs');
    expect(text).toMatch(/^datashunt_jobs_total\{/m);
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
  });

  it('carries no row data: no row id or text appears in any label', async () => {
    const { text } = await get(depth, '/metrics');
    for (const row of rows) {
      expect(text).not.toContain(row.id);
      expect(text).not.toContain(row.input.slice(0, 24));
    }
  });

  it('rejects what promtool rejects: a repeated HELP line, as BullMQ per-queue exports gave', () => {
    const broken = '# HELP q Jobs\n# TYPE q gauge\nq{queue="a"} 1\n# HELP q Jobs\n# TYPE q gauge\nq{queue="b"} 1\n';
    expect(promtoolCheck(broken).status).not.toBe(0);
  });

  it('answers liveness always and readiness only while Redis is up and the process is not stopping', async () => {
    expect(await get(depth, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect((await get(depth, '/readyz')).status).toBe(200);
    stopping = true;
    expect((await get(depth, '/readyz')).status).toBe(503);
    expect((await get(depth, '/healthz')).status).toBe(200);
    stopping = false;
    expect((await get(depth, '/nope')).status).toBe(404);
  });

  it('infra/: the alert rules pass promtool check and test rules, and the dashboard and alerts use only exported metrics', async () => {
    expect(promtool(['check', 'rules', 'prometheus/datashunt-alerts.yaml']).status).toBe(0);
    const tested = promtool(['test', 'rules', 'prometheus/datashunt-alerts.test.yaml']);
    expect(tested).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    const dashboard = JSON.parse(readFileSync(join(infra, 'grafana', 'datashunt-dashboard.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(8);
    // Each panel query must parse as PromQL: promtool checks them as recording rules.
    const dir = mkdtempSync(join(tmpdir(), 'ds-dash-'));
    try {
      const rules = exprs.map((expr, i) => `  - record: dashboard:panel_${i}\n    expr: ${JSON.stringify(expr)}`).join('\n');
      writeFileSync(join(dir, 'panels.yaml'), `groups:\n- name: panels\n  rules:\n${rules}\n`);
      expect(promtool(['check', 'rules', join(dir, 'panels.yaml')]).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { text } = await get(depth, '/metrics');
    const exported = new Set([...text.matchAll(/^([a-z_:][a-z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    const used = [...`${exprs.join('\n')}\n${readFileSync(join(infra, 'prometheus', 'datashunt-alerts.yaml'), 'utf8')}`.matchAll(/\b((?:datashunt|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });
});
