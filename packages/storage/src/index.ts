export * from './s3-client.js';
export * from './objects.js';
export * from './jsonl.js';
export * from './local-s3.js';
