import type { AddressInfo } from 'node:net';
import { createReferenceLlmApp, type ReferenceLlmOptions } from './app.js';

export interface StartReferenceLlmOptions extends ReferenceLlmOptions {
  port?: number;
  host?: string;
}

export interface RunningReferenceLlm {
  /** http://host:port */
  url: string;
  /** The OpenAI baseURL: url + /v1. */
  baseURL: string;
  close(): Promise<void>;
}

export async function startReferenceLlm(options: StartReferenceLlmOptions = {}): Promise<RunningReferenceLlm> {
  const host = options.host ?? '127.0.0.1';
  const app = createReferenceLlmApp(options);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets and slow (delayed) requests would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
