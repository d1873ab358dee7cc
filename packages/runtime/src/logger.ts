import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets anywhere in a logged object; pino replaces them before writing. */
export const REDACTED_PATHS = [
  'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'OPENAI_API_KEY', '*.OPENAI_API_KEY', 'S3_SECRET_ACCESS_KEY', '*.S3_SECRET_ACCESS_KEY', 'secretAccessKey', '*.secretAccessKey',
];

export function createLogger(options: { level: string; service: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    { level: options.level, base: { service: options.service }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    options.destination,
  );
}
