export * from './local-stack.js';
export * from './services.js';
export * from './calibration-runs.js';
export * from './calibration-sample.js';
export * from './calibration-format.js';
export { buildProgram, runCli } from './program.js';
export * from './run-actions.js';
export * from './pipeline-run.js';
export * from './bootstrap.js';
