import { buildHandlerRegistry, defineHandler, HandlerRegistryError } from './handlers.js';

const sweep = defineHandler({ name: 'manifest-sweep', handle: async () => 'swept' });
const ingest = defineHandler({ name: 'manifest-ingest', handle: async () => 'ingested' });

describe('buildHandlerRegistry', () => {
  it('maps each job of the served queues to its handler', () => {
    const registry = buildHandlerRegistry(['ingest'], [sweep, ingest]);
    expect([...registry.keys()].sort()).toEqual(['manifest-ingest', 'manifest-sweep']);
  });

  it('refuses a queue whose job has no handler', () => {
    expect(() => buildHandlerRegistry(['ingest'], [sweep])).toThrow(new HandlerRegistryError('no handler for job "manifest-ingest" of queue "ingest"'));
  });

  it('refuses two handlers for one job', () => {
    expect(() => buildHandlerRegistry(['ingest'], [sweep, ingest, sweep])).toThrow(/two handlers for job "manifest-sweep"/);
  });
});
