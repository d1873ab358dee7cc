export * from './app.js';
export * from './server.js';
export * from './stand-in-model.js';
export * from './stand-in-registry.js';
export * from './build-stand-in.js';
export * from './faults.js';
export * from './batch-api.js';
export * from './pacing.js';
