export * from './records.js';
export * from './run-store.js';
