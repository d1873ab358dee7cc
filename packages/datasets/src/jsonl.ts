import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Writes one JSON document per line, honouring back-pressure so large splits are not held twice. */
export async function writeJsonlFile(path: string, rows: Iterable<unknown>): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  for (const row of rows) {
    if (!out.write(`${JSON.stringify(row)}\n`)) await Promise.race([once(out, 'drain'), failed]);
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}

/** Streams the parsed lines of a JSONL file, skipping blank lines. */
export async function* readJsonlFile<T = unknown>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== '') yield JSON.parse(line) as T;
  }
}

/** A whole JSONL file's rows in memory: for splits of a few thousand rows (training, benchmarks, tests). */
export async function readJsonlFileAll<T = unknown>(path: string): Promise<T[]> {
  const rows: T[] = [];
  for await (const row of readJsonlFile<T>(path)) rows.push(row);
  return rows;
}
