export * from './confidence.js';
export * from './shunt.js';
export * from './metrics.js';
export * from './calibration.js';
