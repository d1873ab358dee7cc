import type { Manifest } from '@datashunt/contracts';
import { mapRecord, pendingReject, placeReject, rowMapping, type MappedRecord } from './row-mapping.js';

const task = { type: 'classification' as const, labels: ['ham', 'spam'], instruction: 'x', inputKind: 'text' as const };
const manifest = (over: { task?: Partial<Manifest['task']>; fields?: Manifest['input']['fields']; include?: string[] } = {}) =>
  ({ task: { ...task, ...over.task }, input: { uri: 'datasets/x', ...(over.fields ? { fields: over.fields } : {}) }, output: { prefix: 'runs/', ...(over.include ? { include: over.include } : {}) } }) as Manifest;
const plain = rowMapping(manifest());
const problemOf = (out: MappedRecord) => ('problem' in out ? out.problem : undefined);

describe('mapRecord with the default names', () => {
  it('accepts a valid row, extra fields included', () => {
    expect(mapRecord({ id: 'a', input: 'hello', label: 'spam', group: 'x' }, plain)).toEqual({ row: { id: 'a', input: 'hello', label: 'spam' } });
    expect(mapRecord({ id: 7, input: 'hello' }, plain)).toEqual({ row: { id: 7, input: 'hello' } });
  });

  it.each([
    [{ id: 'a' }, 'input: missing'],
    [{ id: 'a', input: '' }, 'input: missing'],
    [{ input: 'x' }, 'id: missing'],
    [{ id: 1.5, input: 'x' }, 'id: must be a non-empty string or an integer, got a number'],
    [{ id: 'a', input: [1, 2] }, 'input must be a string for a text task'],
    [{ id: 'a', input: 'x', label: 'eggs' }, "label is not one of the task's labels (ham, spam)"],
    [{ id: 'a', input: 'x', label: { x: 1 } }, 'label: must be a string, got an object'],
    [[1, 2, 3], '(row): must be a JSON object, got an array'],
    ['text', '(row): must be a JSON object, got a string'],
  ])('rejects %j naming the column and the problem', (value, problem) => {
    expect(problemOf(mapRecord(value, plain))).toBe(problem);
  });

  it('keeps the id of a row that fails when it has one', () => {
    expect(mapRecord({ id: 42, input: null }, plain)).toEqual({ problem: 'input: missing', id: 42 });
  });

  it('reads labels written as numbers or booleans as text, and an empty label as none (then the row is re-serialised)', () => {
    const digits = rowMapping(manifest({ task: { labels: ['0', '1'] } }));
    expect(mapRecord({ id: 1, input: 'x', label: 1 }, digits)).toEqual({ row: { id: 1, input: 'x', label: '1' } });
    expect(mapRecord({ id: 1, input: 'x', label: '' }, digits)).toEqual({ row: { id: 1, input: 'x' } });
    expect(mapRecord({ id: 1, input: 'x', label: null }, digits)).toEqual({ row: { id: 1, input: 'x' } });
  });
});

describe('mapRecord through input.fields', () => {
  const mapped = rowMapping(manifest({ fields: { id: 'ticket', text: 'body', label: 'category' }, include: ['subject', 'n'] }));

  it('reads the mapped columns and carries the included ones as JSON values', () => {
    expect(mapRecord({ ticket: '17', body: 'hi', category: 'ham', subject: 'Re: x', n: 3n }, mapped)).toEqual({
      row: { id: '17', input: 'hi', label: 'ham' },
      columns: { subject: 'Re: x', n: 3 },
    });
    expect(mapRecord({ ticket: 2n ** 60n, body: new TextEncoder().encode('bytes as text') }, mapped)).toMatchObject({ row: { id: '1152921504606846976', input: 'bytes as text' }, columns: { subject: null, n: null } });
  });

  it('names the mapped column and the manifest entry when one is missing', () => {
    expect(problemOf(mapRecord({ ticket: '1', category: 'ham' }, mapped))).toBe('body (input.fields.text): missing');
    expect(problemOf(mapRecord({ body: 'x' }, mapped))).toBe('ticket (input.fields.id): missing');
    expect(problemOf(mapRecord({ ticket: '1', body: 'x', category: 'eggs' }, mapped))).toBe("category (input.fields.label) is not one of the task's labels (ham, spam)");
  });

  it('reads pixels from arrays, typed arrays and CSV cells, and checks they are numbers', () => {
    const pixels = rowMapping(manifest({ task: { inputKind: 'image' }, fields: { pixels: 'px' } }));
    expect(mapRecord({ id: 1, px: '[1, 2, 3]' }, pixels)).toMatchObject({ row: { input: [1, 2, 3] } });
    expect(mapRecord({ id: 1, px: new Float64Array([4, 5]) }, pixels)).toMatchObject({ row: { input: [4, 5] } });
    expect(problemOf(mapRecord({ id: 1, px: 'not pixels' }, pixels))).toBe('px (input.fields.pixels) must be an array of pixel values for a image task');
    expect(problemOf(mapRecord({ id: 1, px: [1, 'x'] }, pixels))).toBe('px (input.fields.pixels): pixel values must be finite numbers');
  });

  it('decodes images to the model size, and rejects other sizes saying so', () => {
    const images = rowMapping(manifest({ task: { inputKind: 'image' }, fields: { image: 'png' } }), { side: 28, channels: 1 });
    expect(problemOf(mapRecord({ id: 1, png: 'aGVsbG8=' }, images))).toBe('png (input.fields.image) is not a PNG or JPEG image (nor base64 of one)');
    expect(problemOf(mapRecord({ id: 1, png: 12 }, images))).toBe('png (input.fields.image): must be PNG or JPEG bytes, or their base64, got a number');
  });
});

describe('pendingReject and placeReject', () => {
  const record = { number: 3, text: '{"id":"a","input":"top-secret-token","label":"eggs"}', value: { id: 'a' } };
  const single = { linesBefore: 0, objectLinesBefore: 0, format: 'jsonl' as const };

  it('names the line, and echoes nothing of it unless excerpts are enabled', () => {
    const quiet = placeReject(pendingReject(record, "label is not one of the task's labels (ham, spam)", 'a', false), single);
    expect(quiet).toEqual({ line: 3, id: 'a', reason: "line 3: label is not one of the task's labels (ham, spam)" });
    expect(JSON.stringify(quiet)).not.toContain('top-secret');
    expect(placeReject(pendingReject(record, 'x', undefined, true), single).excerpt).toBe(record.text.slice(0, 120));
    expect(pendingReject({ number: 3, value: { a: 1 } }, 'x', undefined, true).excerpt).toBe('{"a":1}');
  });

  it('places a range-local line after the lines before its shard, in the input and in its object', () => {
    const pending = pendingReject({ number: 2, problem: 'blank line', text: '' }, 'blank line', undefined, false);
    expect(placeReject(pending, { linesBefore: 5_000, objectLinesBefore: 1_000, format: 'jsonl', object: 'datasets/p/b.jsonl' })).toEqual({
      line: 5_002,
      reason: 'datasets/p/b.jsonl line 1002: blank line',
      object: 'datasets/p/b.jsonl',
      objectLine: 1_002,
    });
  });

  it('names the object and the record number in it for an input of many objects', () => {
    const pending = pendingReject({ number: 3, line: 5, problem: 'blank line' }, 'blank line', undefined, false);
    expect(placeReject(pending, { linesBefore: 100, objectLinesBefore: 0, format: 'csv', object: 'datasets/p/b.csv' })).toEqual({
      line: 103,
      reason: 'datasets/p/b.csv record 3 (starts on line 5): blank line',
      object: 'datasets/p/b.csv',
      objectLine: 3,
    });
  });
});
