export * from './s3-client.js';
export * from './objects.js';
export * from './jsonl.js';
export * from './object-writer.js';
export * from './local-s3.js';
export * from './lines.js';
export * from './content-sniff.js';
