/**
 * The one tokenizer of the text featurizers, BERT-basic style: whitespace separates words, and every
 * ASCII punctuation character is a token of its own ("don't!" -> don ' t !). It reports [start, end)
 * spans instead of substrings so hashing needs no allocation per token.
 * `visit` returns false to stop early (the row is full).
 */
export function forEachToken(text: string, visit: (start: number, end: number) => boolean): void {
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const kind = charKind(text.charCodeAt(i));
    if (kind === WORD) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      if (!visit(start, i)) return;
      start = -1;
    }
    if (kind === PUNCT && !visit(i, i + 1)) return;
  }
  if (start >= 0) visit(start, text.length);
}

const WORD = 0;
const PUNCT = 1;
const SPACE = 2;

function charKind(code: number): number {
  if (code <= 32 || code === 127 || code === 0xa0 || code === 0x3000 || (code >= 0x2000 && code <= 0x200b)) return SPACE;
  if (code < 127 && !isAsciiAlnum(code)) return PUNCT;
  return WORD;
}

function isAsciiAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-16 code units of text[start, end). */
export function fnv1a(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Hash of an ordered pair of hashes (an n-gram from its prefix and last word). */
export function combineHashes(prefix: number, last: number): number {
  let h = Math.imul(FNV_OFFSET ^ prefix, FNV_PRIME);
  h = Math.imul(h ^ (last >>> 16), FNV_PRIME);
  h = Math.imul(h ^ (last & 0xffff), FNV_PRIME);
  return h >>> 0;
}
