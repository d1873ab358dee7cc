import { splitLines } from '@datashunt/storage';
import { FormatError, type InputRecord } from './records.js';

/**
 * One record per physical line (see splitLines): its parsed JSON, or why it is not JSON. A blank
 * line is a record too, with its problem, so line numbers never shift. When the bytes break off (a
 * corrupt gzip stream), one last record says so and the object ends there.
 */
export async function* readJsonlRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<InputRecord> {
  let last = 0;
  try {
    for await (const { line, text } of splitLines(chunks)) {
      last = line;
      yield parseLine(line, text);
    }
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    yield { number: last + 1, problem: `${error.message}: nothing from here on could be read` };
  }
}

function parseLine(line: number, text: string): InputRecord {
  if (text.trim() === '') return { number: line, problem: 'blank line', text };
  try {
    return { number: line, value: JSON.parse(text), text };
  } catch (error) {
    return { number: line, problem: `not valid JSON${jsonErrorPosition(error)}`, text };
  }
}

/** Where JSON.parse gave up, without its message: V8's quotes the offending text. */
function jsonErrorPosition(error: unknown): string {
  const position = /at position (\d+)/.exec((error as Error)?.message ?? '')?.[1];
  return position === undefined ? '' : ` (at character ${Number(position) + 1})`;
}
