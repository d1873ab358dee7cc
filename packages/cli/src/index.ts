export * from './local-stack.js';
export * from './services.js';
