import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { manifestErrorKey, ManifestErrorSchema, manifestIngestJobId, runIdOf, type ManifestObject, type Report } from '@datashunt/contracts';
import { checkManifest } from '@datashunt/ingest';
import { RunCatalog } from '@datashunt/runs';
import type { Runtime } from '@datashunt/runtime';
import { getJsonIfExists, headObject, putBytes } from '@datashunt/storage';
import { action, CommandError, EXIT } from '../command-errors.js';
import { printJson, withRuntime } from '../cli-runtime.js';
import { followRun, printFailure, printReport, withFollowOptions, type RunOutcomeDocument } from '../run-follow.js';

const DEFAULT_TIMEOUT_MINUTES = 60;
/** Where ingest writes a refused manifest's error.json, whatever output prefix the manifest asked for. */
const ERROR_PREFIX = 'runs/';

interface SubmitOptions {
  wait?: boolean;
  json?: boolean;
  progress: boolean;
  timeoutMinutes?: number;
}

export function addSubmitCommand(program: Command): void {
  withFollowOptions(
    program
      .command('submit')
      .summary('upload a manifest to start a run; --wait shows its progress and report')
      .description('upload a manifest under the watched prefix (MANIFEST_PREFIX in S3_BUCKET) to start a run; --wait follows it to its report')
      .argument('<manifest>', 'manifest JSON file')
      .option('--wait', `show live progress until the run ends, then its report (gives up after ${DEFAULT_TIMEOUT_MINUTES} minutes unless --timeout-minutes)`),
  ).action(action((file: string, o: SubmitOptions) => submit(file, o)));
}

async function submit(file: string, o: SubmitOptions): Promise<number> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CommandError(`cannot read ${file}: ${error.message}`);
  });
  return withRuntime(async (runtime) => {
    const say = o.json ? console.error : console.log;
    const object: ManifestObject = { bucket: runtime.bucket, key: `${runtime.config.MANIFEST_PREFIX}${basename(file)}`, etag: '' };
    await putBytes(runtime.s3, object, bytes, 'application/json');
    // The run id is the one ingest computes: from the manifest's name and the ETag S3 gave these bytes.
    const head = await headObject(runtime.s3, object);
    if (!head) throw new CommandError(`s3://${object.bucket}/${object.key} is gone right after its upload`);
    object.etag = head.etag;
    const check = checkManifest(bytes);
    const runId = runIdOf(check.ok ? check.manifest.name : undefined, object);
    const outputPrefix = check.ok ? check.manifest.output.prefix : ERROR_PREFIX;
    say(`uploaded s3://${object.bucket}/${object.key} (run ${runId})`);

    // A manifest version runs once: submitting the same bytes again starts nothing, so say what it did.
    const earlier = await earlierOutcome(runtime, object, outputPrefix, runId);
    if (earlier.kind === 'ran') {
      say(`this manifest version already ran as run ${runId}; not running it again (change the manifest to start a new run)`);
      return printReport(runtime, earlier.report, outputPrefix, o.json, { alreadyRan: true });
    }
    if (earlier.kind === 'refused') {
      const message = `this manifest version was refused at ${earlier.at}: ${earlier.message}`;
      return printFailure(o.json, { runId, status: 'refused', report: null, message, alreadyRan: true }, message);
    }
    if (earlier.kind === 'running') say(`this manifest version is already running as run ${runId}`);
    if (!o.wait) {
      say(`follow it with: datashunt runs watch ${runId}`);
      if (o.json) printJson({ runId, status: 'submitted', report: null, message: null } satisfies RunOutcomeDocument);
      return EXIT.ok;
    }
    const ingestJobId = manifestIngestJobId(object);
    return followRun(runtime, { runId, outputPrefix, ingestJobId }, { ...o, timeoutMinutes: o.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES });
  });
}

type Earlier =
  | { kind: 'none' }
  | { kind: 'running' }
  | { kind: 'ran'; report: Report }
  | { kind: 'refused'; at: string; message: string };

async function earlierOutcome(runtime: Runtime, object: ManifestObject, outputPrefix: string, runId: string): Promise<Earlier> {
  const entry = await new RunCatalog(runtime.s3, runtime.bucket, runtime.config.OUTPUT_PREFIXES).read(outputPrefix, runId);
  if (entry?.report) return { kind: 'ran', report: entry.report };
  if (entry?.snapshot) return { kind: 'running' };
  const error = await getJsonIfExists(runtime.s3, { bucket: runtime.bucket, key: manifestErrorKey(ERROR_PREFIX, object.key) });
  const parsed = ManifestErrorSchema.safeParse(error);
  // error.json is per manifest key; only an error of this very version means these bytes were refused.
  if (parsed.success && parsed.data.manifestEtag === object.etag) return { kind: 'refused', at: parsed.data.at, message: parsed.data.message };
  return { kind: 'none' };
}
