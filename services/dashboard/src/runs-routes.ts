import express, { type NextFunction, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Runtime } from '@datashunt/runtime';
import { getStream, isNotFound } from '@datashunt/storage';
import { html, type SafeHtml } from './html.js';
import { page } from './page-layout.js';
import { RUN_DOWNLOADS, runPage, type RunDownload } from './run-page.js';
import { runsListPage } from './runs-list-page.js';
import { RunsSource } from './runs-source.js';

/** Run ids are manifest names (or cleaned file names) plus a hash: this is all they can hold. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * The runs pages (GET only; behind the dashboard's authentication like everything else): the list,
 * one page per run, and the run's own results.jsonl, rejects.jsonl and report.json streamed from S3.
 */
export function runsRouter(runtime: Runtime): express.Router {
  const source = new RunsSource(runtime);
  const router = express.Router();
  router.use('/runs', pageHeaders);

  router.get('/runs', async (_req, res) => {
    send(res, 200, runsListPage(await source.list(), source.outputPrefixes()));
  });

  router.get('/runs/:runId', async (req, res) => {
    const runId = String(req.params.runId);
    const found = RUN_ID.test(runId) ? await source.run(runId) : undefined;
    if (!found) return notFound(res, runId);
    send(res, 200, runPage(found.view, found.calibration));
  });

  router.get('/runs/:runId/:file', async (req, res) => {
    const runId = String(req.params.runId);
    const file = String(req.params.file) as RunDownload;
    const key = RUN_ID.test(runId) && RUN_DOWNLOADS.includes(file) ? await source.outputKey(runId, file) : undefined;
    if (!key) return notFound(res, runId);
    let body: Readable;
    try {
      body = await getStream(runtime.s3, { bucket: runtime.bucket, key });
    } catch (error) {
      if (isNotFound(error)) return notFound(res, runId);
      throw error;
    }
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="${runId}-${file}"`);
    await pipeline(body, res);
  });

  router.use('/runs', (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    runtime.logger.error({ err: error }, 'runs page: could not read the runs');
    if (res.headersSent) return void res.destroy();
    send(res, 503, page('Unavailable', html`<h1>Runs unavailable</h1><p class="note bad">S3 or Redis did not answer; reload to try again.</p>`, { refresh: false }));
  });
  return router;
}

/** Pages carry no script: the policy forbids any, so even an escaping slip could not run one. */
function pageHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  next();
}

function send(res: Response, status: number, body: SafeHtml) {
  res.status(status).type('html').send(body.text);
}

function notFound(res: Response, runId: string) {
  send(res, 404, page('Not found', html`<h1>No such run</h1><p class="note">No run ${runId} under the output prefixes. <a href="/runs">All runs</a></p>`, { refresh: false }));
}
