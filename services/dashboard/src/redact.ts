/** Fields that hold a row's content in job data (llm-call's `input`) or could in a later payload. */
const ROW_TEXT_FIELDS = new Set(['input', 'text']);

/**
 * Job data as the board shows it: every row-text field, at any depth, replaced by its size, so an
 * operator sees which row a job carries without seeing what the row says.
 */
export function redactRowText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactRowText);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, ROW_TEXT_FIELDS.has(key) ? redacted(field) : redactRowText(field)]));
}

function redacted(field: unknown): unknown {
  if (typeof field === 'string') return `[redacted ${field.length} chars]`;
  if (Array.isArray(field)) return `[redacted ${field.length} values]`;
  if (field !== null && typeof field === 'object') return '[redacted]';
  return field;
}
