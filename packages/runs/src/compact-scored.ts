import type { TopClass } from '@datashunt/algorithms';
import type { DatasetRow } from '@datashunt/contracts';
import type { CarriedColumns } from './records.js';

/**
 * What the scorer passes the router for one row: only what routing and the result record need. The
 * inputs of rows the router may send to the large model go to the shard's hard-rows object instead,
 * so the router never reads the input.
 */
export type CompactScoredRow =
  | { line: number; id: DatasetRow['id']; reject: string }
  | {
      line: number;
      id: DatasetRow['id'];
      gold?: string;
      /** The specific model (C_s1). */
      s1: TopClass;
      /** The learnable 2CD model (C_s2), when one scored. */
      s2?: TopClass;
      /** Every probability of the specific model: results may carry them (output.probabilities), and redistillation learns from them. */
      probs: number[];
      columns?: CarriedColumns;
    };

/**
 * One shard's compact rows as stored between scorer and router, in a columnar binary layout (under
 * half of JSONL's bytes, and faster to encode and decode: docs/benchmarks.md, "Scorer to router rows"):
 * "DSR1", the header's byte length (u32 LE), a JSON header (row count, which optional columns are
 * present, and a string table), padding to 8 bytes, then one typed array per column, widest elements
 * first so each starts aligned:
 *   Float64: line, id (the number, or the string table index of a string id)
 *   Float32: s1 confidence, [s2 confidence], [probabilities, rows with probs x probsWidth]
 *   Uint32:  reject, [gold], [columns] as string table index + 1 (0: none); columns as their JSON
 *   Uint16:  s1 index, [s2 index] (0xffff: none)
 *   Uint8:   flags (string id)
 * Confidences and probabilities are float32, the precision the ONNX models produce them in.
 */
const MAGIC = 'DSR1';
const NO_S2 = 0xffff;
const STRING_ID = 1;

interface Header {
  rows: number;
  strings: string[];
  gold: boolean;
  s2: boolean;
  columns: boolean;
  /** Probabilities per scored row (0 in a shard whose rows were all refused). */
  probsWidth: number;
  /** Rows scored, not refused: each carries probsWidth probabilities. */
  probsRows: number;
}

type ScoredRow = Exclude<CompactScoredRow, { reject: string }>;

/** Strings in first-seen order, each stored once (labels and reject reasons repeat on every row). */
class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  /** Interned: for the few values that repeat. */
  shared(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.strings.push(value) - 1;
      this.index.set(value, i);
    }
    return i;
  }

  /** Appended: for values that are each new (ids, carried columns). */
  own(value: string): number {
    return this.strings.push(value) - 1;
  }
}

/** Byte offsets of each column after the header, in layout order. */
function columnLayout(h: Header) {
  let at = 0;
  const take = (count: number, size: number) => {
    const start = at;
    at += count * size;
    return start;
  };
  const n = h.rows;
  const layout = {
    line: take(n, 8),
    id: take(n, 8),
    s1Confidence: take(n, 4),
    s2Confidence: take(h.s2 ? n : 0, 4),
    probs: take(h.probsRows * h.probsWidth, 4),
    reject: take(n, 4),
    gold: take(h.gold ? n : 0, 4),
    columns: take(h.columns ? n : 0, 4),
    s1Index: take(n, 2),
    s2Index: take(h.s2 ? n : 0, 2),
    flags: take(n, 1),
  };
  return { layout, end: at };
}

export function encodeScoredRows(rows: CompactScoredRow[]): Buffer {
  const n = rows.length;
  const strings = new StringTable();
  const scored = rows.filter((row): row is ScoredRow => !('reject' in row));
  const probsWidth = scored[0]?.probs.length ?? 0;
  for (const row of scored) {
    if (row.probs.length !== probsWidth) throw new Error(`scored rows: line ${row.line} has ${row.probs.length} probabilities, the shard's first has ${probsWidth}`);
  }
  const header: Header = {
    rows: n,
    strings: strings.strings,
    gold: scored.some((row) => row.gold !== undefined),
    s2: scored.some((row) => row.s2 !== undefined),
    columns: scored.some((row) => row.columns !== undefined),
    probsWidth,
    probsRows: scored.length,
  };
  // The string table fills while the columns are written, and the header that holds it goes first:
  // columns go to a scratch buffer laid out from offset 0, then behind the header.
  const { layout, end } = columnLayout(header);
  const body = new ArrayBuffer(end);
  const line = new Float64Array(body, layout.line, n);
  const id = new Float64Array(body, layout.id, n);
  const s1Confidence = new Float32Array(body, layout.s1Confidence, n);
  const s2Confidence = new Float32Array(body, layout.s2Confidence, header.s2 ? n : 0);
  const probs = new Float32Array(body, layout.probs, header.probsRows * probsWidth);
  const reject = new Uint32Array(body, layout.reject, n);
  const gold = new Uint32Array(body, layout.gold, header.gold ? n : 0);
  const columns = new Uint32Array(body, layout.columns, header.columns ? n : 0);
  const s1Index = new Uint16Array(body, layout.s1Index, n);
  const s2Index = new Uint16Array(body, layout.s2Index, header.s2 ? n : 0);
  const flags = new Uint8Array(body, layout.flags, n);
  let probsAt = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    line[i] = row.line;
    let flag = 0;
    if (typeof row.id === 'string') {
      id[i] = strings.own(row.id);
      flag |= STRING_ID;
    } else id[i] = row.id;
    if ('reject' in row) {
      reject[i] = strings.shared(row.reject) + 1;
      if (header.s2) s2Index[i] = NO_S2;
      flags[i] = flag;
      continue;
    }
    s1Index[i] = classIndex(row.s1, row.line);
    s1Confidence[i] = row.s1.confidence;
    if (header.s2) {
      s2Index[i] = row.s2 ? classIndex(row.s2, row.line) : NO_S2;
      s2Confidence[i] = row.s2?.confidence ?? 0;
    }
    if (row.gold !== undefined) gold[i] = strings.shared(row.gold) + 1;
    if (row.columns !== undefined) columns[i] = strings.own(JSON.stringify(row.columns)) + 1;
    probs.set(row.probs, probsAt);
    probsAt += probsWidth;
    flags[i] = flag;
  }
  const json = Buffer.from(JSON.stringify(header));
  const bodyStart = align8(8 + json.length);
  const out = Buffer.alloc(bodyStart + end);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  out.set(new Uint8Array(body), bodyStart);
  return out;
}

export function decodeScoredRows(bytes: Buffer): CompactScoredRow[] {
  if (bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error('scored rows: not the binary layout (no DSR1 mark)');
  const jsonLength = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + jsonLength)) as Header;
  const bodyStart = align8(8 + jsonLength);
  const { layout, end } = columnLayout(header);
  // Typed arrays need their element size's alignment: a Buffer from a pool or a stream may start anywhere.
  const start = bytes.byteOffset + bodyStart;
  const aligned = start % 8 === 0;
  const body = aligned ? bytes.buffer : bytes.buffer.slice(start, start + end);
  const base = aligned ? start : 0;
  const n = header.rows;
  const view = <T>(Type: new (buffer: ArrayBufferLike, offset: number, length: number) => T, offset: number, length: number) => new Type(body, base + offset, length);
  const line = view(Float64Array, layout.line, n);
  const id = view(Float64Array, layout.id, n);
  const s1Confidence = view(Float32Array, layout.s1Confidence, n);
  const s2Confidence = view(Float32Array, layout.s2Confidence, header.s2 ? n : 0);
  const probs = view(Float32Array, layout.probs, header.probsRows * header.probsWidth);
  const reject = view(Uint32Array, layout.reject, n);
  const gold = view(Uint32Array, layout.gold, header.gold ? n : 0);
  const columns = view(Uint32Array, layout.columns, header.columns ? n : 0);
  const s1Index = view(Uint16Array, layout.s1Index, n);
  const s2Index = view(Uint16Array, layout.s2Index, header.s2 ? n : 0);
  const flags = view(Uint8Array, layout.flags, n);
  const { strings, probsWidth } = header;
  const rows: CompactScoredRow[] = new Array(n);
  let probsAt = 0;
  for (let i = 0; i < n; i++) {
    const rowId = flags[i]! & STRING_ID ? strings[id[i]!]! : id[i]!;
    if (reject[i]) {
      rows[i] = { line: line[i]!, id: rowId, reject: strings[reject[i]! - 1]! };
      continue;
    }
    const row: ScoredRow = { line: line[i]!, id: rowId, s1: { index: s1Index[i]!, confidence: s1Confidence[i]! }, probs: Array.from(probs.subarray(probsAt, probsAt + probsWidth)) };
    probsAt += probsWidth;
    if (header.gold && gold[i]) row.gold = strings[gold[i]! - 1]!;
    if (header.s2 && s2Index[i] !== NO_S2) row.s2 = { index: s2Index[i]!, confidence: s2Confidence[i]! };
    if (header.columns && columns[i]) row.columns = JSON.parse(strings[columns[i]! - 1]!) as Record<string, unknown>;
    rows[i] = row;
  }
  return rows;
}

function classIndex(top: TopClass, line: number): number {
  if (!Number.isInteger(top.index) || top.index < 0 || top.index >= NO_S2) throw new Error(`scored rows: line ${line} has class index ${top.index}, outside 0..${NO_S2 - 1}`);
  return top.index;
}

function align8(offset: number): number {
  return Math.ceil(offset / 8) * 8;
}
