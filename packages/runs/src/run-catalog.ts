import type { S3Client } from '@aws-sdk/client-s3';
import { ManifestErrorSchema, ReportSchema, runKeys, type ManifestError, type Report } from '@datashunt/contracts';
import { getJsonIfExists, listPrefixes } from '@datashunt/storage';
import type { RunSnapshot } from './records.js';
import type { RunProgress, RunProgressState } from './run-progress.js';

/** What S3 holds of one run folder: its snapshot and report, or the error of a refused manifest. */
export interface RunEntry {
  runId: string;
  outputPrefix: string;
  snapshot?: RunSnapshot;
  report?: Report;
  error?: ManifestError;
}

/** Output prefixes may nest (`runs/team-a/`): folders are searched this deep for run folders. */
const MAX_DEPTH = 3;

/**
 * The runs in S3, the source of truth: every folder under the operator's output prefixes that holds
 * a run snapshot (manifest.json), a report, or a refused manifest's error.json.
 */
export class RunCatalog {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly outputPrefixes: string[],
  ) {}

  async *list(): AsyncGenerator<RunEntry> {
    for (const prefix of this.outputPrefixes) yield* this.walk(prefix, 0);
  }

  /** A run by id: at the output prefix given (e.g. from its live progress), else searched for. */
  async find(runId: string, outputPrefix?: string): Promise<RunEntry | undefined> {
    if (outputPrefix !== undefined) {
      const entry = await this.read(outputPrefix, runId);
      if (entry) return entry;
    }
    for await (const entry of this.list()) if (entry.runId === runId) return entry;
    return undefined;
  }

  /** The run folder `<outputPrefix><runId>/`, or undefined when it holds none of a run's objects. */
  async read(outputPrefix: string, runId: string): Promise<RunEntry | undefined> {
    const keys = runKeys(outputPrefix, runId);
    const [snapshot, report, error] = await Promise.all([
      getJsonIfExists<RunSnapshot>(this.s3, { bucket: this.bucket, key: keys.manifest }),
      getJsonIfExists(this.s3, { bucket: this.bucket, key: keys.report }),
      getJsonIfExists(this.s3, { bucket: this.bucket, key: `${keys.root}error.json` }),
    ]);
    if (!snapshot && !report && !error) return undefined;
    return {
      runId,
      outputPrefix: keys.root.slice(0, keys.root.length - runId.length - 1),
      ...(snapshot ? { snapshot } : {}),
      ...(report ? { report: ReportSchema.parse(report) } : {}),
      ...(error ? { error: ManifestErrorSchema.parse(error) } : {}),
    };
  }

  private async *walk(prefix: string, depth: number): AsyncGenerator<RunEntry> {
    for await (const folder of listPrefixes(this.s3, this.bucket, prefix)) {
      const name = folder.slice(prefix.length, -1);
      const entry = await this.read(prefix, name);
      if (entry) yield entry;
      else if (depth + 1 < MAX_DEPTH) yield* this.walk(folder, depth + 1);
    }
  }
}

/** A run's live counters and its S3 entry, looked for first where the counters say the run lives. */
export async function findRunWithProgress(catalog: RunCatalog, progress: RunProgress, runId: string): Promise<{ state: RunProgressState | null; entry: RunEntry | undefined }> {
  const state = await progress.read(runId);
  return { state, entry: await catalog.find(runId, state?.outputPrefix) };
}
