import S3rver from 's3rver';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * The embedded S3-compatible server (s3rver) for the demo and tests: a real HTTP S3 API over files in
 * `directory`, reached through the same AWS SDK client as real S3.
 */
export async function startLocalS3(options: { directory: string; port?: number; host?: string }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({ address: host, port: options.port ?? 0, directory: options.directory, silent: true });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${host}:${address.port}`,
    close: () => server.close(),
  };
}
