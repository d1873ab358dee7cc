import { DatasetRowSchema, type Manifest, type RejectRecord } from '@datashunt/contracts';

const EXCERPT = 120;

/**
 * Checks one dataset line: JSON, the row schema, the input kind of the task, and a gold label in the
 * label set. A valid line is kept as its text; only a rejected one says why.
 */
export function checkRow(line: number, text: string, task: Manifest['task']): { reject: RejectRecord } | undefined {
  const excerpt = text.slice(0, EXCERPT);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reject: { line, reason: 'not valid JSON', excerpt } };
  }
  const parsed = DatasetRowSchema.safeParse(json);
  if (!parsed.success) {
    const id = (json as { id?: unknown })?.id;
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
    return { reject: { line, ...(typeof id === 'string' || typeof id === 'number' ? { id } : {}), reason, excerpt } };
  }
  const row = parsed.data;
  const wantText = task.inputKind === 'text';
  if (wantText !== (typeof row.input === 'string')) {
    return { reject: { line, id: row.id, reason: `input must be ${wantText ? 'a string' : 'an array of pixel values'} for a ${task.inputKind} task`, excerpt } };
  }
  if (row.label !== undefined && !task.labels.includes(row.label)) {
    return { reject: { line, id: row.id, reason: `label "${row.label}" is not one of the task's labels`, excerpt } };
  }
  return undefined;
}
