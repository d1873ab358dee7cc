import type { FailedShard } from './run-control.js';
import { SettlerGone, ShardGate } from './shard-gate.js';

/** An attempt whose state the test changes between polls: each pause runs the next step of a script. */
function attempt(script: Array<(state: State) => void> = []) {
  const state: State = { done: new Set(), settled: null, alive: true };
  const pauses: number[] = [];
  const signals = {
    isShardDone: async (shard: number) => state.done.has(shard),
    settled: async () => state.settled,
    settlerAlive: async () => state.alive,
  };
  const pause = async (ms: number) => {
    pauses.push(ms);
    const step = script.shift();
    if (!step) throw new Error(`still waiting after ${pauses.length} pauses`);
    step(state);
  };
  return { gate: new ShardGate(signals, pause), state, pauses };
}

interface State {
  done: Set<number>;
  settled: FailedShard[] | null;
  alive: boolean;
}

describe('ShardGate', () => {
  it('lets a shard through once the router marks it done, before the run is settled, pausing longer each time', async () => {
    const { gate, pauses } = attempt([() => undefined, () => undefined, (s) => s.done.add(1)]);
    await expect(gate.wait(1)).resolves.toBeUndefined();
    expect(pauses).toEqual([20, 40, 80]);
  });

  it('keeps a shard that is not done waiting until the run settles, then gives its failure', async () => {
    const { gate } = attempt([(s) => s.done.add(0), (s) => (s.settled = [{ shard: 2, reason: 'S3 outage' }])]);
    await expect(gate.wait(2)).resolves.toBe('S3 outage');
    await expect(gate.wait(3)).resolves.toBeUndefined();
    await expect(gate.failedShards()).resolves.toEqual([{ shard: 2, reason: 'S3 outage' }]);
  });

  it('caps the pause at 500 ms', async () => {
    const { gate, pauses } = attempt([...Array.from({ length: 8 }, () => () => undefined), (s) => (s.settled = [])]);
    await gate.failedShards();
    expect(pauses).toEqual([20, 40, 80, 160, 320, 500, 500, 500, 500]);
  });

  it('fails when the settler ended without settling, instead of waiting for ever', async () => {
    const { gate } = attempt(Array.from({ length: 20 }, (_, i) => (s: State) => (s.alive = i < 5)));
    await expect(gate.wait(0)).rejects.toThrow(SettlerGone);
  });

  it('takes a settlement written just before the settler ended', async () => {
    let looks = 0;
    const gate = new ShardGate(
      { isShardDone: async () => false, settled: async () => (++looks > 10 ? [] : null), settlerAlive: async () => false },
      async () => undefined,
    );
    await expect(gate.wait(0)).resolves.toBeUndefined();
  });
});
