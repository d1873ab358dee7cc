export * from './aggregate.js';
export * from './svg-chart.js';
export * from './experiments.js';
export * from './data.js';
export * from './runner.js';
export * from './report.js';
export * from './bench.js';
