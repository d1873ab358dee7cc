import { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { FormatError } from './records.js';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** What the first bytes of a gzip stream inflate to (a prefix need not be a whole stream). */
export function gunzipPrefix(bytes: Uint8Array): Buffer {
  return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
}

/**
 * Inflates a gzip byte stream as it arrives (concatenated members included, as gzip itself writes
 * them). Corrupt or truncated data ends the stream with a FormatError; errors of the source are
 * passed through unchanged. Stopping early closes the source.
 */
export async function* gunzipChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const source = Readable.from(chunks, { objectMode: false });
  const gunzip = createGunzip();
  let sourceError: unknown;
  source.on('error', (error) => {
    sourceError = error;
    gunzip.destroy(error);
  });
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    if (sourceError !== undefined) throw sourceError;
    throw new FormatError(`gzip data is corrupt or cut short (${(error as Error).message})`);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}
