const LINE_KEY = Buffer.from('"line":');
const NEWLINE = 0x0a;

/**
 * A shard's results as JSONL with every record's `line` moved on by `by` (the lines before the shard),
 * without parsing the records: each holds `"line":<digits>` once, and its first `"line":` is that
 * field, as the byte sequence cannot occur inside a JSON string (its quotes would be escaped).
 */
export function shiftLineNumbers(jsonl: Buffer, by: number): Buffer {
  if (by === 0) return jsonl;
  const parts: Buffer[] = [];
  let start = 0;
  while (start < jsonl.length) {
    const key = jsonl.indexOf(LINE_KEY, start);
    const end = jsonl.indexOf(NEWLINE, start);
    if (key === -1 || (end !== -1 && key > end)) throw new Error(`a record without a line number at byte ${start}`);
    let digits = key + LINE_KEY.length;
    let line = 0;
    while (jsonl[digits]! >= 0x30 && jsonl[digits]! <= 0x39) line = line * 10 + (jsonl[digits++]! - 0x30);
    parts.push(jsonl.subarray(start, key + LINE_KEY.length), Buffer.from(String(line + by)));
    const next = end === -1 ? jsonl.length : end + 1;
    parts.push(jsonl.subarray(digits, next));
    start = next;
  }
  return Buffer.concat(parts);
}
