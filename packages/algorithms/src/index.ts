export * from './confidence.js';
export * from './shunt.js';
export * from './metrics.js';
export * from './calibration.js';
export * from './png-image.js';
export * from './prompt-pruning.js';
export * from './answer-parsing.js';
export * from './run-report.js';
