import { spamGroup, spamRows, stripMailHeaders } from './spam';
import { truncate } from './text';

describe('stripMailHeaders', () => {
  it('drops everything up to the first blank line', () => {
    expect(stripMailHeaders('From: a@b\nX-Spam-Status: Yes\n\nHello\n\nBye')).toBe('Hello\n\nBye');
  });
  it('handles CRLF mails and normalises their line ends', () => {
    expect(stripMailHeaders('Subject: hi\r\nTo: x\r\n\r\nline 1\r\nline 2')).toBe('line 1\nline 2');
  });
  it('treats a mail without a blank line as all headers', () => {
    expect(stripMailHeaders('Subject: only headers\nTo: x')).toBe('');
  });
});

describe('spamRows', () => {
  const mails = [
    { id: '00001', group: 'easy-ham-1', text: 'H: 1\n\n  same body  ' },
    { id: '00002', group: 'spam-2', text: 'H: 2\n\nbuy now' },
    { id: '00001', group: 'easy-ham-2', text: 'H: 3\n\nsame body' },
    { id: '00003', group: 'hard-ham-1', text: 'H: 4\n\n   ' },
    { id: '00004', group: 'hard-ham-1', text: 'H: 5\n\n' + 'x'.repeat(50) },
  ];

  it('labels by group, keeps the group kind, trims, dedupes and caps the body', () => {
    const { rows, empty, duplicates } = spamRows(mails, 10);
    expect(rows).toEqual([
      { id: 'easy-ham-1/00001', input: 'same body', label: 'ham', group: 'easy-ham' },
      { id: 'spam-2/00002', input: 'buy now', label: 'spam', group: 'spam' },
      { id: 'hard-ham-1/00004', input: 'x'.repeat(10), label: 'ham', group: 'hard-ham' },
    ]);
    expect({ empty, duplicates }).toEqual({ empty: 1, duplicates: 1 });
  });

  it('maps corpus groups to their kind', () => {
    expect(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'].map(spamGroup)).toEqual(['easy-ham', 'easy-ham', 'hard-ham', 'spam', 'spam']);
  });
});

describe('truncate', () => {
  it('cuts to the limit and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 3)).toBe('abc');
    expect(truncate('ab', 3)).toBe('ab');
    expect(truncate('ab😀', 3)).toBe('ab');
  });
});
