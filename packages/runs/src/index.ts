export * from './records.js';
export * from './run-store.js';
export * from './model-calibration.js';
