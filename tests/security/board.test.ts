import { appRoutes, buildHistoryRoutes } from '@bull-board/api/dist/routes';
import type { Queue } from 'bullmq';
import type { QueueName } from '@datashunt/contracts';
import { datasetPaths } from '@datashunt/datasets';
import { SWEEP_SCHEDULER_ID } from '@datashunt/ingest';
import { spamSplits, startTestStack, type TestStack } from '../support/stack';

const READER = { user: 'viewer', password: 'reader-pw-board-test' };
const WRITER = { user: 'operator', password: 'writer-pw-board-test' };
const ROW_TEXT = 'Dear friend, claim your prize: wire 500 dollars to account 12-34';

const basic = (c: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}` });

interface Route {
  method: string;
  path: string;
}

/**
 * Every route the installed Bull Board serves (its API, the optional history API and its pages), with
 * parameters filled in for a real queue, job and scheduler: a route a later version adds is covered.
 */
function boardRoutes(jobId: string): Route[] {
  const history = buildHistoryRoutes({} as never, { hasUsage: true, canPurge: true, hasLatency: true });
  const defs = [...appRoutes.api, ...history, appRoutes.entryPoint];
  return defs.flatMap((def) =>
    [def.route].flat().map((route) => ({
      method: def.method.toUpperCase(),
      path: route
        .replace(':queueName', route.includes('job-schedulers') ? 'ingest' : 'llm')
        .replace(':jobId', jobId)
        .replace(':schedulerId', SWEEP_SCHEDULER_ID)
        .replace(':queueStatus', route.includes('/retry/') ? 'completed' : 'waiting'),
    })),
  );
}

/** What a forbidden write could change: counts, pause state, the seeded job's data, the sweep scheduler. */
async function queueState(stack: TestStack, jobId: string) {
  const queues = stack.runtime.queues.allQueues() as Queue[];
  const llm = stack.runtime.queues.queue('llm' as QueueName);
  return {
    queues: await Promise.all(queues.map(async (q) => ({ name: q.name, counts: await q.getJobCounts(), paused: await q.isPaused(), concurrency: await q.getGlobalConcurrency() }))),
    job: (await llm.getJob(jobId))?.data,
    scheduler: (await stack.runtime.queues.queue('ingest').getJobScheduler(SWEEP_SCHEDULER_ID))?.key,
  };
}

/** Bull Board served by the real dashboard service: authentication, roles and what job data shows. */
describe('dashboard security', () => {
  let stack: TestStack;
  let url: string;
  let jobId: string;

  const call = (route: Route, headers: Record<string, string> = {}) =>
    fetch(new URL(route.path.replace(/^\//, ''), url), {
      method: route.method,
      headers: { 'content-type': 'application/json', ...headers },
      body: route.method === 'GET' ? undefined : JSON.stringify({ name: 'llm-call', data: { forged: true }, options: {}, concurrency: 1, max: 1, duration: 1000, every: 1000, delay: 1000, priority: 1 }),
    });

  beforeAll(async () => {
    await spamSplits();
    stack = await startTestStack({
      standInTrainPath: datasetPaths('spam').train,
      services: ['dashboard'],
      env: { DASHBOARD_PORT: '0', DASHBOARD_PASSWORD: READER.password, DASHBOARD_WRITER_PASSWORD: WRITER.password },
    });
    url = (stack.services.modules.find((m) => m.name === 'dashboard') as unknown as { url(): string }).url();
    // The scheduler ingest installs, and one pending large-model call whose data carries a row's text
    // (added past the catalog, which may strip it: the board must redact whatever job data holds). No worker runs.
    await stack.runtime.queues.queue('ingest').upsertJobScheduler(SWEEP_SCHEDULER_ID, { every: 3_600_000 }, { name: 'manifest-sweep', data: {} });
    const job = await stack.runtime.queues
      .queue('llm' as QueueName)
      .add('llm-call', { runId: 'run-board', outputPrefix: 'runs/', shard: 0, rows: [{ line: 3, rowId: 'row-3' }], input: ROW_TEXT, probs: [0.55, 0.45], fallbackLabel: 'ham' });
    jobId = job.id!;
  });
  afterAll(() => stack?.dispose());

  it('listens on loopback by default and keeps /healthz open', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await fetch(new URL('healthz', url))).status).toBe(200);
  });

  it('answers 401 to every route without credentials or with wrong ones, and nothing changes', async () => {
    const before = await queueState(stack, jobId);
    const routes = boardRoutes(jobId);
    expect(routes.filter((r) => r.method !== 'GET').length).toBeGreaterThanOrEqual(24);
    const wrong = [{}, basic({ user: READER.user, password: 'guess' }), basic({ user: WRITER.user, password: READER.password }), { authorization: `Bearer ${WRITER.password}` }];
    for (const headers of wrong) {
      for (const route of routes) {
        const res = await call(route, headers);
        expect({ route, status: res.status }).toEqual({ route, status: 401 });
      }
    }
    const challenge = await call({ method: 'GET', path: '/api/queues' });
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await queueState(stack, jobId)).toEqual(before);
  });

  it('lets a reader read but refuses every write route, adding no job and removing no scheduler', async () => {
    expect((await call({ method: 'GET', path: '/' }, basic(READER))).status).toBe(200);
    expect((await call({ method: 'GET', path: '/api/queues' }, basic(READER))).status).toBe(200);
    expect((await call({ method: 'GET', path: `/api/queues/llm/${jobId}` }, basic(READER))).status).toBe(200);
    const listed = (await (await call({ method: 'GET', path: '/api/queues' }, basic(READER))).json()) as { queues: Array<{ readOnlyMode: boolean }> };
    expect(listed.queues.every((q) => q.readOnlyMode)).toBe(true);

    const before = await queueState(stack, jobId);
    expect(before.scheduler).toBeDefined();
    const writes = boardRoutes(jobId).filter((r) => r.method !== 'GET');
    for (const route of writes) {
      const res = await call(route, basic(READER));
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
    }
    expect(await queueState(stack, jobId)).toEqual(before);
  });

  it('lets the writer act: add a job, pause and resume a queue', async () => {
    const llm = stack.runtime.queues.queue('llm' as QueueName);
    const waiting = await llm.getWaitingCount();
    const added = await call({ method: 'POST', path: '/api/queues/llm/add' }, basic(WRITER));
    expect(added.status).toBe(200);
    const addedId = ((await added.json()) as { job: { id: string } }).job.id;
    expect(await llm.getWaitingCount()).toBe(waiting + 1);
    expect((await call({ method: 'PUT', path: '/api/queues/llm/pause' }, basic(WRITER))).status).toBe(200);
    expect(await llm.isPaused()).toBe(true);
    expect((await call({ method: 'PUT', path: '/api/queues/llm/resume' }, basic(WRITER))).status).toBe(200);
    expect(await llm.isPaused()).toBe(false);
    await (await llm.getJob(addedId))!.remove();
  });

  it('shows job data with the row text redacted, to readers and writers alike', async () => {
    for (const who of [READER, WRITER]) {
      const list = await (await call({ method: 'GET', path: '/api/queues?activeQueue=llm&status=waiting&page=1' }, basic(who))).text();
      const one = await (await call({ method: 'GET', path: `/api/queues/llm/${jobId}` }, basic(who))).text();
      for (const body of [list, one]) {
        expect(body).toContain(`[redacted ${ROW_TEXT.length} chars]`);
        expect(body).toContain('row-3');
        expect(body).not.toContain('claim your prize');
      }
    }
  });
});
