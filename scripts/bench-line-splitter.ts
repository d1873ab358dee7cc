/**
 * Line reading speed: the input line splitter (packages/storage/src/lines.ts) against Node's readline,
 * both streaming the same file of typical JSONL rows (e-mail-sized text, some non-ASCII, CRLF on a
 * tenth of the lines) through for-await, the way ingest consumes them.
 *
 *   node_modules/.bin/tsx scripts/bench-line-splitter.ts [--mb 100] [--runs 5] [--words 100]
 *
 * --words is the mean words per row (e-mails: 100; short reviews: 10).
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { splitLines } from '../packages/storage/src/lines.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' }, words: { type: 'string', default: '100' } } });
const targetBytes = Number(values.mb) * 1024 * 1024;
const runs = Number(values.runs);
const meanWords = Number(values.words);

function typicalJsonl(bytes: number): Buffer {
  const words = ['meeting', 'invoice', 'free', 'offer', 'Grüße', 'naïve', 'réunion', 'click', 'here', 'schedule', 'report', '😀', 'account', 'update'];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const n = 1 + ((i * 7919) % (2 * meanWords));
    const text = Array.from({ length: n }, (_, k) => words[(i * 31 + k * 17) % words.length]).join(' ');
    const line = `${JSON.stringify({ id: `row-${i}`, input: text, label: i % 3 ? 'ham' : 'spam' })}${i % 10 === 0 ? '\r\n' : '\n'}`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(parts.join(''));
}

async function viaReadline(path: string): Promise<{ lines: number; chars: number }> {
  let lines = 0;
  let chars = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lines += 1;
    chars += text.length;
  }
  return { lines, chars };
}

async function viaSplitter(path: string): Promise<{ lines: number; chars: number }> {
  let lines = 0;
  let chars = 0;
  for await (const { text } of splitLines(createReadStream(path))) {
    lines += 1;
    chars += text.length;
  }
  return { lines, chars };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'ds-lines-'));
try {
  const path = join(dir, 'typical.jsonl');
  writeFileSync(path, typicalJsonl(targetBytes));
  const size = readFileSync(path).length; // also warms the page cache
  const times: Record<string, number[]> = { readline: [], splitter: [] };
  let counts: Record<string, { lines: number; chars: number }> = {};
  for (let r = 0; r < runs; r += 1) {
    // Alternate the order so neither reader always runs on a warmer process.
    const order = r % 2 ? (['splitter', 'readline'] as const) : (['readline', 'splitter'] as const);
    for (const name of order) {
      const started = performance.now();
      counts = { ...counts, [name]: await (name === 'readline' ? viaReadline(path) : viaSplitter(path)) };
      times[name]!.push(performance.now() - started);
    }
  }
  if (JSON.stringify(counts.readline) !== JSON.stringify(counts.splitter)) throw new Error(`readers disagree: ${JSON.stringify(counts)}`);
  const mb = size / 1024 / 1024;
  for (const name of ['readline', 'splitter']) {
    const ms = median(times[name]!);
    console.log(`${name.padEnd(8)} median ${ms.toFixed(0)} ms over ${runs} runs, ${(mb / (ms / 1000)).toFixed(0)} MiB/s (runs: ${times[name]!.map((t) => t.toFixed(0)).join(', ')} ms)`);
  }
  console.log(`${mb.toFixed(1)} MiB, ${counts.splitter!.lines} lines; splitter/readline time ratio ${(median(times.splitter!) / median(times.readline!)).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
