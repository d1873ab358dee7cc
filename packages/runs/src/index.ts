export * from './records.js';
export * from './compact-scored.js';
export * from './run-store.js';
export * from './model-calibration.js';
export * from './run-progress.js';
export * from './run-control.js';
export * from './progress-view.js';
export * from './run-catalog.js';
