import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@datashunt/runtime';
import { signBody, webhookAuth } from './webhook-auth.js';

const body = Buffer.from('{"Records":[]}');
const secretMode = { WEBHOOK_AUTH: 'secret' as const, WEBHOOK_SECRET: 's3cret-token', WEBHOOK_SECRET_FILE: undefined, INGEST_HTTP_HOST: '0.0.0.0' };

describe('webhookAuth', () => {
  const auth = webhookAuth(secretMode);

  it('accepts the Bearer token, Basic with the secret as password, and a valid HMAC of the raw body', () => {
    expect(auth.verify({ authorization: 'Bearer s3cret-token' }, body)).toBe(true);
    expect(auth.verify({ authorization: `Basic ${Buffer.from('sns:s3cret-token').toString('base64')}` }, body)).toBe(true);
    expect(auth.verify({ 'x-datashunt-signature': signBody('s3cret-token', body) }, body)).toBe(true);
  });

  it('refuses no credentials, a wrong token, a wrong password and an HMAC of another body or key', () => {
    expect(auth.verify({}, body)).toBe(false);
    expect(auth.verify({ authorization: 'Bearer s3cret-tokeN' }, body)).toBe(false);
    expect(auth.verify({ authorization: `Basic ${Buffer.from('sns:nope').toString('base64')}` }, body)).toBe(false);
    expect(auth.verify({ 'x-datashunt-signature': signBody('s3cret-token', '{"Records":[1]}') }, body)).toBe(false);
    expect(auth.verify({ 'x-datashunt-signature': signBody('other', body) }, body)).toBe(false);
    // A wrong Bearer token is not rescued by a valid signature: the first credential presented decides.
    expect(auth.verify({ authorization: 'Bearer wrong', 'x-datashunt-signature': signBody('s3cret-token', body) }, body)).toBe(false);
  });

  it('refuses every call without a secret and says why once', () => {
    const none = webhookAuth({ ...secretMode, WEBHOOK_SECRET: undefined });
    expect(none.verify({ authorization: 'Bearer ' }, body)).toBe(false);
    expect(none.verify({ authorization: 'Bearer undefined' }, body)).toBe(false);
    expect(none.refusesAll).toMatch(/WEBHOOK_SECRET is not set/);
  });

  it('reads the secret from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-webhook-'));
    try {
      writeFileSync(join(dir, 'secret'), 'from-file\n');
      const fromFile = webhookAuth({ ...secretMode, WEBHOOK_SECRET: undefined, WEBHOOK_SECRET_FILE: join(dir, 'secret') });
      expect(fromFile.verify({ authorization: 'Bearer from-file' }, body)).toBe(true);
      expect(() => webhookAuth({ ...secretMode, WEBHOOK_SECRET: undefined, WEBHOOK_SECRET_FILE: join(dir, 'missing') })).toThrow(/WEBHOOK_SECRET_FILE: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allows the insecure mode on loopback only, naming the setting otherwise', () => {
    expect(webhookAuth({ ...secretMode, WEBHOOK_AUTH: 'none', INGEST_HTTP_HOST: '127.0.0.1' }).verify({}, body)).toBe(true);
    expect(() => webhookAuth({ ...secretMode, WEBHOOK_AUTH: 'none', INGEST_HTTP_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => webhookAuth({ ...secretMode, WEBHOOK_AUTH: 'none', INGEST_HTTP_HOST: '0.0.0.0' })).toThrow(/INGEST_HTTP_HOST/);
  });
});
