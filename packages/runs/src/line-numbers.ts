const LINE_KEY = Buffer.from('"line":');
const NEWLINE = 0x0a;
const ZERO = 0x30;

/**
 * A shard's results as JSONL with every record's `line` moved on by `by` (the lines before the shard),
 * without parsing the records: each holds `"line":<digits>` once, and its first `"line":` is that
 * field, as the byte sequence cannot occur inside a JSON string (its quotes would be escaped).
 * The bytes are copied into one buffer sized up front: finalize runs this over every result of a run.
 */
export function shiftLineNumbers(jsonl: Buffer, by: number): Buffer {
  if (by === 0) return jsonl;
  // Each record's number grows by at most the digits of `by` plus one (a carry).
  const out = Buffer.allocUnsafe(jsonl.length + (countRecords(jsonl) * (String(by).length + 1)));
  let written = 0;
  let start = 0;
  while (start < jsonl.length) {
    const key = jsonl.indexOf(LINE_KEY, start);
    const end = jsonl.indexOf(NEWLINE, start);
    if (key === -1 || (end !== -1 && key > end)) throw new Error(`a record without a line number at byte ${start}`);
    let digits = key + LINE_KEY.length;
    let line = 0;
    while (jsonl[digits]! >= ZERO && jsonl[digits]! <= ZERO + 9) line = line * 10 + (jsonl[digits++]! - ZERO);
    written += jsonl.copy(out, written, start, key + LINE_KEY.length);
    written = writeDigits(out, written, line + by);
    const next = end === -1 ? jsonl.length : end + 1;
    written += jsonl.copy(out, written, digits, next);
    start = next;
  }
  return out.subarray(0, written);
}

function countRecords(jsonl: Buffer): number {
  let records = 1;
  for (let at = jsonl.indexOf(NEWLINE); at !== -1; at = jsonl.indexOf(NEWLINE, at + 1)) records += 1;
  return records;
}

/** Writes a non-negative integer's decimal digits at `at`; returns the offset after them (Buffer#write of String(value) measured up to 2x slower here). */
function writeDigits(out: Buffer, at: number, value: number): number {
  let length = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) length += 1;
  for (let i = at + length - 1, rest = value; i >= at; i--, rest = Math.floor(rest / 10)) out[i] = ZERO + (rest % 10);
  return at + length;
}
