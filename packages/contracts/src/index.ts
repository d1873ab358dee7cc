export * from './manifest.js';
export * from './endpoints.js';
export * from './rows.js';
export * from './report.js';
export * from './model.js';
export * from './queues.js';
export * from './keys.js';
export * from './object-scope.js';
