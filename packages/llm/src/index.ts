export * from './errors.js';
export * from './cost.js';
export * from './response-cache.js';
export * from './budget-meter.js';
export * from './endpoint-rate-limiter.js';
export * from './large-model-client.js';
export * from './run-breaker.js';
export * from './batch-requests.js';
