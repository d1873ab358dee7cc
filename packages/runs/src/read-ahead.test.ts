import { readAhead } from './read-ahead.js';

/** A fetch whose items resolve only when the test says so, recording which were started. */
function controlledFetch() {
  const started: number[] = [];
  const resolvers = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const fetch = (i: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(i);
      resolvers.set(i, { resolve, reject });
    });
  return { started, fetch, resolve: (i: number) => resolvers.get(i)!.resolve(`item ${i}`), reject: (i: number, e: Error) => resolvers.get(i)!.reject(e) };
}

describe('readAhead', () => {
  it('yields every item in index order, whatever order the fetches finish in', async () => {
    const delays = [30, 1, 20, 0, 10, 5];
    const items = readAhead(delays.length, 3, (i) => new Promise<number>((resolve) => setTimeout(() => resolve(i), delays[i])));
    const seen: number[] = [];
    for await (const item of items) seen.push(item);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('starts at most `ahead` fetches beyond the one being waited on, and one more per item taken', async () => {
    const c = controlledFetch();
    const items = readAhead(10, 2, c.fetch);
    const first = items.next();
    expect(c.started).toEqual([0, 1, 2]);
    c.resolve(0);
    expect(await first).toEqual({ value: 'item 0', done: false });
    expect(c.started).toEqual([0, 1, 2, 3]);
    c.resolve(1);
    c.resolve(2);
    await items.next();
    await items.next();
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('throws a failed fetch in its turn, after the items before it, with no unhandled rejection', async () => {
    const c = controlledFetch();
    const items = readAhead(4, 3, c.fetch);
    const first = items.next();
    c.reject(2, new Error('S3 said no'));
    // Give the rejection a turn of the event loop in which it would be reported if unhandled.
    await new Promise((resolve) => setImmediate(resolve));
    c.resolve(0);
    c.resolve(1);
    expect((await first).value).toBe('item 0');
    expect((await items.next()).value).toBe('item 1');
    await expect(items.next()).rejects.toThrow('S3 said no');
  });

  it('yields nothing for no items', async () => {
    const fetch = jest.fn(async (i: number) => i);
    const seen: number[] = [];
    for await (const item of readAhead(0, 4, fetch)) seen.push(item);
    expect(seen).toEqual([]);
    expect(fetch).not.toHaveBeenCalled();
  });
});
