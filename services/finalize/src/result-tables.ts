import type { OutputFormat, ResultRecord } from '@datashunt/contracts';
import { writeResultsCsv, writeResultsParquet } from '@datashunt/formats';
import type { RunSnapshot, RunStore } from '@datashunt/runs';
import { ObjectWriter, readJsonl } from '@datashunt/storage';

const WRITERS = {
  csv: { write: writeResultsCsv, contentType: 'text/csv' },
  parquet: { write: writeResultsParquet, contentType: 'application/vnd.apache.parquet' },
};

/**
 * results.csv and results.parquet (output.formats) next to results.jsonl: the same results, in the
 * same order, streamed from results.jsonl into a multipart upload, one format at a time.
 */
export async function writeResultTables(runs: RunStore, snapshot: RunSnapshot): Promise<Array<{ format: string; key: string; rows: number }>> {
  const { manifest, runId } = snapshot;
  const outputPrefix = manifest.output.prefix;
  const spec = { labels: manifest.task.labels, probabilities: manifest.output.probabilities === true, include: manifest.output.include ?? [] };
  const tables = (manifest.output.formats ?? []).filter((f): f is Exclude<OutputFormat, 'jsonl'> => f !== 'jsonl');
  const written = [];
  for (const format of tables) {
    const key = runs.keys(outputPrefix, runId).resultsTable(format);
    const writer = new ObjectWriter(runs.s3, runs.ref(key), WRITERS[format].contentType);
    const results = readJsonl<ResultRecord>(runs.s3, runs.ref(runs.keys(outputPrefix, runId).results));
    const rows = await WRITERS[format].write(results, spec, { write: (chunk) => writer.writeRaw(chunk) });
    await writer.close();
    written.push({ format, key, rows });
  }
  return written;
}
