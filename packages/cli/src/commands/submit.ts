import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Report } from '@datashunt/contracts';
import { createRuntime, loadConfig, RunWatcher } from '@datashunt/runtime';
import { getJson, putBytes } from '@datashunt/storage';
import { formatReport } from '../report-format.js';

const USAGE = `usage: datashunt submit <manifest.json> [--wait] [--timeout-minutes N]
Uploads a manifest under the watched prefix (MANIFEST_PREFIX in S3_BUCKET); with --wait, prints the report.`;

export async function submitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { wait: { type: 'boolean' }, 'timeout-minutes': { type: 'string', default: '60' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const runtime = await createRuntime(config, 'datashunt-cli');
  const watcher = values.wait ? new RunWatcher(config) : undefined;
  try {
    await watcher?.ready();
    const key = `${config.MANIFEST_PREFIX}${basename(positionals[0]!)}`;
    await putBytes(runtime.s3, { bucket: runtime.bucket, key }, await readFile(positionals[0]!), 'application/json');
    console.log(`uploaded s3://${runtime.bucket}/${key}`);
    if (!watcher) return 0;
    const outcome = await watcher.wait(key, Number(values['timeout-minutes']) * 60_000);
    if (outcome.status === 'invalid') {
      console.error(`manifest refused: ${outcome.message} (see s3://${runtime.bucket}/${outcome.errorKey})`);
      return 1;
    }
    const report = await getJson<Report>(runtime.s3, { bucket: runtime.bucket, key: outcome.reportKey });
    console.log(formatReport(report));
    // A run that could not do its job exits non-zero, so scripts and schedulers see the failure.
    return report.status === 'failed' ? 1 : 0;
  } finally {
    await watcher?.close();
    await runtime.close();
  }
}
