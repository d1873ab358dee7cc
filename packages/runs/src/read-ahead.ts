/**
 * Yields fetch(0) .. fetch(count - 1) in order while up to `ahead` later fetches are already under
 * way, so a consumer that handles items one by one waits on S3's latency once, not once per item.
 * A fetch that fails is thrown when its turn comes, never before: the items ahead of it are yielded
 * first. At most `ahead` + 1 items are held at once.
 */
export async function* readAhead<T>(count: number, ahead: number, fetch: (index: number) => Promise<T>): AsyncGenerator<T> {
  const pending: Array<Promise<T>> = [];
  let next = 0;
  const start = () => {
    const item = fetch(next++);
    // Awaited in its turn; until then a failure must not count as unhandled.
    item.catch(() => undefined);
    pending.push(item);
  };
  while (next < count && pending.length <= ahead) start();
  while (pending.length > 0) {
    const item = await pending.shift()!;
    if (next < count) start();
    yield item;
  }
}
