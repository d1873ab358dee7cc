import { faultFromHeader, FaultQueue } from './faults';

describe('FaultQueue', () => {
  it('hands out faults in order, each count times', () => {
    const queue = new FaultQueue();
    queue.add([{ kind: '429', retryAfterSeconds: 2, count: 2 }, { kind: 'nonsense', count: 1 }]);
    expect(queue.next()).toEqual({ kind: '429', retryAfterSeconds: 2, count: 1 });
    expect(queue.remaining()).toEqual([{ kind: '429', retryAfterSeconds: 2, count: 1 }, { kind: 'nonsense', count: 1 }]);
    expect(queue.next()?.kind).toBe('429');
    expect(queue.next()?.kind).toBe('nonsense');
    expect(queue.next()).toBeUndefined();
    queue.add([{ kind: '500', count: 3 }]);
    queue.clear();
    expect(queue.next()).toBeUndefined();
  });
});

describe('faultFromHeader', () => {
  it('reads kind and optional number', () => {
    expect(faultFromHeader('429:3')).toEqual({ kind: '429', retryAfterSeconds: 3, count: 1 });
    expect(faultFromHeader('429')).toEqual({ kind: '429', retryAfterSeconds: 1, count: 1 });
    expect(faultFromHeader('slow:250')).toEqual({ kind: 'slow', delayMs: 250, count: 1 });
    expect(faultFromHeader(' malformed ')).toEqual({ kind: 'malformed', count: 1 });
    expect(() => faultFromHeader('explode')).toThrow();
    expect(() => faultFromHeader('slow:soon')).toThrow();
  });
});
