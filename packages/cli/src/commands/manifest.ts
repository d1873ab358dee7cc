import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, s3OptionsOf } from '@datashunt/runtime';
import { createS3Client } from '@datashunt/storage';
import { action, CommandError, EXIT } from '../command-errors.js';
import { printJson } from '../cli-runtime.js';
import { checkManifestBytes, formatManifestCheck } from '../manifest-check.js';

export function addManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('work with manifests before submitting them');
  manifest
    .command('check')
    .description(
      "validate a manifest as ingest would: the schema, the operator's policy (INPUT_SCOPES, OUTPUT_PREFIXES, LLM_ENDPOINTS) and, when S3 can be reached, " +
        'that the input object exists and the small model is registered with the same labels and input kind; exits 0 when valid, 1 when not',
    )
    .argument('<file>', 'manifest JSON file')
    .option('--json', 'one JSON document on stdout: {file, valid, issues: [{path, message}], s3}')
    .action(action((file: string, o: { json?: boolean }) => check(file, o)));
}

async function check(file: string, o: { json?: boolean }): Promise<number> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CommandError(`cannot read ${file}: ${error.message}`);
  });
  const config = loadConfig();
  const s3 = createS3Client(s3OptionsOf(config));
  try {
    const result = await checkManifestBytes(bytes, config, s3);
    if (o.json) printJson({ file, ...result });
    else console.log(formatManifestCheck(file, result));
    return result.valid ? EXIT.ok : EXIT.failed;
  } finally {
    s3.destroy();
  }
}
