export * from './config.js';
export * from './logger.js';
export * from './connections.js';
export * from './queue-client.js';
export * from './handlers.js';
export * from './metrics.js';
export * from './runtime.js';
export * from './worker-host.js';
