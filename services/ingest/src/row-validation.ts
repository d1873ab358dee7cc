import { DatasetRowSchema, type Manifest, type RejectRecord } from '@datashunt/contracts';

const EXCERPT = 120;

export interface RowCheckOptions {
  /** Copy the start of a rejected line into its reject (REJECT_EXCERPTS); off, rejects hold no line contents. */
  excerpts: boolean;
}

/**
 * Checks one physical line of a dataset: not blank, JSON, the row schema, the input kind of the task,
 * and a gold label in the label set. A valid line is kept as its text; a rejected one says why and on
 * which line, without its contents unless the operator enabled excerpts.
 */
export function checkRow(line: number, text: string, task: Manifest['task'], options: RowCheckOptions): { reject: RejectRecord } | undefined {
  const reject = (reason: string, id?: string | number): { reject: RejectRecord } => ({
    reject: { line, ...(id === undefined ? {} : { id }), reason: `line ${line}: ${reason}`, ...(options.excerpts ? { excerpt: text.slice(0, EXCERPT) } : {}) },
  });
  if (text.trim() === '') return reject('blank line');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return reject(`not valid JSON${jsonErrorPosition(error)}`);
  }
  const parsed = DatasetRowSchema.safeParse(json);
  if (!parsed.success) {
    const id = (json as { id?: unknown })?.id;
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
    return reject(reason, typeof id === 'string' || typeof id === 'number' ? id : undefined);
  }
  const row = parsed.data;
  const wantText = task.inputKind === 'text';
  if (wantText !== (typeof row.input === 'string')) {
    return reject(`input must be ${wantText ? 'a string' : 'an array of pixel values'} for a ${task.inputKind} task`, row.id);
  }
  if (row.label !== undefined && !task.labels.includes(row.label)) {
    return reject(`label is not one of the task's labels (${task.labels.join(', ')})`, row.id);
  }
  return undefined;
}

/** Where JSON.parse gave up, without its message: V8's quotes the offending text. */
function jsonErrorPosition(error: unknown): string {
  const position = /at position (\d+)/.exec((error as Error)?.message ?? '')?.[1];
  return position === undefined ? '' : ` (at character ${Number(position) + 1})`;
}
