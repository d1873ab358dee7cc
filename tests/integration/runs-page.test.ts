import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { calibrate, loadCalibrationSample, PIPELINE_SERVICES } from '@datashunt/cli';
import { ReportSchema, runKeys, type CalibrationRecord, type Report } from '@datashunt/contracts';
import { datasetPaths } from '@datashunt/datasets';
import { RunProgress, type RunProgressState } from '@datashunt/runs';
import { ownKeyPrefix } from '@datashunt/runtime';
import { getBytes, getJson } from '@datashunt/storage';
import { spamManifest, spamSplits, startTestStack, toJsonl, trainSpamModel, type TestStack } from '../support/stack';

const CHROMIUM = '/usr/bin/chromium';
const READER = { username: 'viewer', password: 'runs-page-reader-pw' };
/** Set to a folder (docs/img) to keep screenshots of the pages as the test sees them. */
const SCREENSHOTS = process.env.RUNS_PAGE_SCREENSHOTS;
const HOSTILE_LABEL = '<img src=x onerror="window.__xss=1">';
const HOSTILE_SCRIPT = '<script>window.__xss=2</script>';

// What a person reads: the test writes the numbers its own way, so a page that rounds or mislabels them fails.
const count = (n: number) => n.toLocaleString('en-US');
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const dollars = (usd: number) => `$${usd.toFixed(4)}`;

/** Polls live state (never a fixed sleep) until it satisfies `done`. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The dashboard's runs pages in headless Chromium, against real runs on Redis, s3rver and the reference LLM. */
describe('runs page', () => {
  let stack: TestStack;
  let base: string;
  let browser: Browser;
  let reader: BrowserContext;
  let record: CalibrationRecord;
  let runId: string;
  let report: Report;

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
  const open = async (path: string) => {
    const page = await reader.newPage();
    const response = await page.goto(new URL(path, base).href);
    expect(response?.status()).toBe(200);
    return page;
  };
  const shoot = async (page: Page, name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `runs-page-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install.sh (it installs Debian's chromium package)`);
    const splits = await spamSplits();
    stack = await startTestStack({
      standInTrainPath: datasetPaths('spam').train,
      services: [...PIPELINE_SERVICES, 'dashboard'],
      env: { DASHBOARD_PORT: '0', DASHBOARD_USER: READER.username, DASHBOARD_PASSWORD: READER.password },
    });
    base = (stack.services.modules.find((m) => m.name === 'dashboard') as unknown as { url(): string }).url();
    // Trained on a slice, the small model is unsure of enough rows that the calibrated delta sends some to the large model.
    await trainSpamModel(stack.registry, splits.train.slice(0, 1200), splits.validation);
    const samplePath = join(stack.dir, 'validation.jsonl');
    writeFileSync(samplePath, toJsonl(splits.validation.slice(0, 200)));
    const sample = await loadCalibrationSample({ source: samplePath, labels: ['ham', 'spam'], seed: 1, s3: stack.runtime.s3, scopes: stack.config.scopes });
    const deps = { config: stack.config, runtime: stack.runtime, watcher: stack.watcher, dropManifest: stack.dropManifest, runTimeoutMs: 150_000 };
    record = (await calibrate(deps, spamManifest('unused.jsonl'), sample, [{ target: 'max-accuracy' }])).record;
    // Labelled rows and one line that is not JSON, so the run has rejects too.
    await stack.put('datasets/runs-page.jsonl', `${toJsonl(splits.test.slice(0, 150))}{"id": "broken\n`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    reader = await browser.newContext({ httpCredentials: READER, viewport: { width: 1200, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.dispose();
  });

  it('asks for credentials: 401 without them or with wrong ones, in the browser too', async () => {
    for (const path of ['runs', 'runs/anything-12345678', 'runs/anything-12345678/results.jsonl']) {
      const bare = await fetch(new URL(path, base));
      expect({ path, status: bare.status }).toEqual({ path, status: 401 });
      expect(bare.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const wrong = await fetch(new URL(path, base), { headers: { authorization: `Basic ${Buffer.from(`${READER.username}:guess`).toString('base64')}` } });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
    }
    // Chromium, given no credentials to answer the challenge with, shows nothing of the page.
    const anonymous = await browser.newContext();
    try {
      const page = await anonymous.newPage();
      const statuses: number[] = [];
      page.on('response', (response) => statuses.push(response.status()));
      await expect(page.goto(new URL('runs', base).href)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      expect(statuses).toEqual([401]);
    } finally {
      await anonymous.close();
    }
  });

  it('shows a running run live: its progress bar, counters and spend so far, reloading itself', async () => {
    // Large-model calls wait while the llm queue is paused: the run stays running with its rows part done.
    const llm = stack.runtime.queues.queue('llm');
    await llm.pause();
    await stack.dropManifest('manifests/runs-page.json', spamManifest('datasets/runs-page.jsonl', { name: 'runs-page', delta: { target: 'max-accuracy' }, shardSize: 50 }));
    const progress = new RunProgress(stack.runtime.redis, ownKeyPrefix(stack.config.QUEUE_PREFIX));
    const started = await pollUntil(() => progress.recent(20), (runs) => runs.some((r) => r.runId.startsWith('runs-page-')), 60_000, 'the run to start');
    runId = started.find((r) => r.runId.startsWith('runs-page-'))!.runId;
    const state = await pollUntil(() => progress.read(runId), (s): s is RunProgressState => !!s?.planned && s.routed === s.rows, 90_000, 'every shard routed');
    expect(state!.hard).toBeGreaterThan(0);

    const page = await open(`runs/${runId}`);
    expect(await text(page, 'h1 [data-field=status]')).toBe('running');
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(1);
    const finished = state!.routed - state!.hard + state!.answered + state!.ingestRejects;
    const total = state!.rows + state!.ingestRejects;
    expect(total).toBe(151);
    expect(await text(page, '#progress [data-field=finished]')).toBe(count(finished));
    expect(await text(page, '#progress [data-field=fraction]')).toBe(pct(finished / total));
    expect(await page.locator('#progress [role=progressbar]').getAttribute('aria-valuenow')).toBe(String(Math.round((finished / total) * 100)));
    expect(await text(page, '#counters [data-field=hard]')).toBe(count(state!.hard));
    expect(await text(page, '#summary [data-field=cost]')).toBe(dollars(0));
    expect(await text(page, '#cost [data-field=budget]')).toBe(dollars(10));
    expect(await page.locator('#downloads a').count()).toBe(0);
    await expect(page.locator('#calibration svg').isVisible()).resolves.toBe(true);
    await shoot(page, 'running');
    await page.close();

    await llm.resume();
    const outcome = await stack.watcher.wait('manifests/runs-page.json', 150_000);
    if (outcome.status !== 'finished') throw new Error(JSON.stringify(outcome));
    report = ReportSchema.parse(await getJson(stack.runtime.s3, { bucket: stack.runtime.bucket, key: runKeys('runs/', runId).report }));
  });

  it('shows the finished run with the numbers of its report.json', async () => {
    expect(report.accuracy).not.toBeNull();
    const page = await open(`runs/${runId}`);
    expect(await text(page, 'h1 [data-field=status]')).toBe(report.status);
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0);
    expect(await text(page, '#summary [data-field=rows]')).toBe(count(report.rows));
    expect(await text(page, '#summary [data-field=results]')).toBe(count(report.results));
    expect(await text(page, '#summary [data-field=rejects]')).toBe(count(report.rejects));
    expect(report.rejects).toBe(1);
    expect(await text(page, '#summary [data-field=query-share]')).toBe(pct(report.queryProportion));
    expect(await text(page, '#summary [data-field=cost]')).toBe(dollars(report.costUsd));
    expect(await text(page, '#summary [data-field=accuracy]')).toBe(pct(report.accuracy!.overall.accuracy!));
    expect(await text(page, '#summary [data-field=delta]')).toBe(String(report.delta));
    expect(await text(page, '#cost [data-field=cost]')).toBe(dollars(report.costUsd));
    expect(await text(page, '#cost [data-field=budget]')).toBe(dollars(report.budgetUsd));
    expect(await text(page, '#progress [data-field=fraction]')).toBe('100.0%');

    for (const [source, n] of Object.entries(report.bySource)) {
      expect({ source, rows: await text(page, `#by-source tr[data-source="${source}"] [data-field=rows]`) }).toEqual({ source, rows: count(n) });
    }
    const perClass = Object.entries(report.accuracy!.perClass);
    expect(perClass.map(([label]) => label).sort()).toEqual(['ham', 'spam']);
    for (const [label, cell] of perClass) {
      const row = page.locator(`#per-class-table tr[data-label="${label}"]`);
      expect({ label, correct: await row.locator('[data-field=correct]').innerText(), total: await row.locator('[data-field=total]').innerText(), accuracy: await row.locator('[data-field=accuracy]').innerText() }).toEqual({
        label,
        correct: count(cell.correct),
        total: count(cell.total),
        accuracy: pct(cell.accuracy!),
      });
    }

    // The curve of the calibration the delta came from, the chosen delta ringed, the run's own result marked.
    expect(report.deltaSource).toMatchObject({ kind: 'calibration', calibratedAt: record.calibratedAt });
    const chart = page.locator('#calibration svg');
    await expect(chart.isVisible()).resolves.toBe(true);
    expect(await chart.locator('g.chosen').getAttribute('data-delta')).toBe(String(report.delta));
    expect(await chart.locator('g.this-run').count()).toBe(1);
    expect(await page.locator('#curve tbody tr').count()).toBe(record.curve.points.length);
    await shoot(page, 'run');
    await page.close();
  });

  it('lists the run with its status, rows, query share, dollars and accuracy', async () => {
    const page = await open('runs');
    const row = page.locator(`#runs tr[data-run="${runId}"]`);
    const cell = (field: string) => row.locator(`[data-field=${field}]`).innerText();
    expect({
      name: await cell('name'),
      status: await cell('status'),
      rows: await cell('rows'),
      queryShare: await cell('query-share'),
      cost: await cell('cost'),
      accuracy: await cell('accuracy'),
    }).toEqual({ name: 'runs-page', status: report.status, rows: count(report.rows), queryShare: pct(report.queryProportion), cost: dollars(report.costUsd), accuracy: pct(report.accuracy!.overall.accuracy!) });
    // The calibration's two runs are listed too, newest first after this one.
    expect(await page.locator(`#runs tr[data-run="${record.runs.smallOnly}"]`).count()).toBe(1);
    expect(await page.locator('#runs tbody tr').first().getAttribute('data-run')).toBe(runId);
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0);
    await shoot(page, 'list');
    await row.locator('a[data-field=name]').click();
    await page.waitForURL(`**/runs/${runId}`);
    expect(await text(page, 'h1 [data-field=name]')).toBe('runs-page');
    await page.close();
  });

  it('downloads the run\'s own results and rejects, and serves no other object', async () => {
    const page = await open(`runs/${runId}`);
    const keys = runKeys('runs/', runId);
    for (const [file, key] of [['results.jsonl', keys.results], ['rejects.jsonl', keys.rejects]] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`#downloads a[href$="/${file}"]`).click()]);
      expect(download.suggestedFilename()).toBe(`${runId}-${file}`);
      const bytes = readFileSync((await download.path())!);
      expect(bytes.equals(await getBytes(stack.runtime.s3, { bucket: stack.runtime.bucket, key }))).toBe(true);
      expect(bytes.toString('utf8').trim().split('\n')).toHaveLength(file === 'results.jsonl' ? report.results : report.rejects);
    }
    await page.close();

    const auth = { authorization: `Basic ${Buffer.from(`${READER.username}:${READER.password}`).toString('base64')}` };
    for (const path of [`runs/${runId}/manifest.json`, `runs/${runId}/state.json`, `runs/${runId}/parts%2F00000.jsonl`, `runs/${runId}/..%2F..%2Fmodels%2Fspam-text%2Fpointers%2Fspecific.json`, 'runs/..%2Fmodels/results.jsonl']) {
      const res = await fetch(new URL(path, base), { headers: auth });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('shows a refused manifest\'s hostile labels as text, never as markup', async () => {
    await stack.dropManifest('manifests/hostile.json', spamManifest('datasets/runs-page.jsonl', { task: { type: 'classification', labels: [HOSTILE_LABEL, HOSTILE_SCRIPT], instruction: 'x' } }));
    const outcome = await stack.watcher.wait('manifests/hostile.json', 60_000);
    if (outcome.status !== 'invalid') throw new Error(JSON.stringify(outcome));
    const refusedId = outcome.errorKey.split('/').at(-2)!;

    const list = await open('runs');
    const reason = await list.locator(`#runs tr[data-run="${refusedId}"] [data-field=reason]`).innerText();
    expect(reason).toContain(HOSTILE_LABEL);
    expect(reason).toContain(HOSTILE_SCRIPT);
    expect(await list.locator('main img, main script').count()).toBe(0);
    expect(await list.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await list.close();

    const page = await open(`runs/${refusedId}`);
    expect(await text(page, 'h1 [data-field=status]')).toBe('refused');
    expect(await text(page, '[data-field=reason]')).toContain(HOSTILE_LABEL);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.close();
  });
});
