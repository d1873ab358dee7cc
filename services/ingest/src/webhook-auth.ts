import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { basicCredentials, ConfigError, isLoopbackHost, readSecret, safeEqual, type Config } from '@datashunt/runtime';

/** The signature header: `sha256=<hex HMAC-SHA256 of the raw body under the shared secret>`. */
export const SIGNATURE_HEADER = 'x-datashunt-signature';

export interface WebhookAuth {
  /** Whether the call proves it knows the shared secret; false for every call when none is configured. */
  verify(headers: IncomingHttpHeaders, rawBody: Buffer): boolean;
  /** Why every call will be refused, for one warning at start-up; undefined when calls can pass. */
  refusesAll: string | undefined;
}

type WebhookSettings = Pick<Config, 'WEBHOOK_AUTH' | 'WEBHOOK_SECRET' | 'WEBHOOK_SECRET_FILE' | 'INGEST_HTTP_HOST'>;

/**
 * How POST /notifications authenticates its caller. With a secret, one of: `Authorization: Bearer
 * <secret>` (MinIO's auth_token, EventBridge API destinations), `Authorization: Basic` with the secret
 * as password (SNS's credentials in the endpoint URL), or the HMAC signature header. Without one,
 * nothing passes, unless WEBHOOK_AUTH=none on a loopback address.
 */
export function webhookAuth(config: WebhookSettings): WebhookAuth {
  if (config.WEBHOOK_AUTH === 'none') {
    if (!isLoopbackHost(config.INGEST_HTTP_HOST)) {
      throw new ConfigError(`WEBHOOK_AUTH=none is allowed only with INGEST_HTTP_HOST on loopback (it is ${config.INGEST_HTTP_HOST})`);
    }
    return { verify: () => true, refusesAll: undefined };
  }
  const secret = readSecret('WEBHOOK_SECRET', config.WEBHOOK_SECRET, config.WEBHOOK_SECRET_FILE);
  if (!secret) return { verify: () => false, refusesAll: 'WEBHOOK_SECRET is not set: POST /notifications refuses every call (the sweep still finds manifests)' };
  return {
    refusesAll: undefined,
    verify(headers, rawBody) {
      const authorization = headers.authorization ?? '';
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      if (bearer !== undefined) return safeEqual(bearer, secret);
      const basic = basicCredentials(authorization);
      if (basic) return safeEqual(basic.password, secret);
      const signature = headers[SIGNATURE_HEADER];
      if (typeof signature !== 'string') return false;
      return safeEqual(signature.trim().toLowerCase(), signBody(secret, rawBody));
    },
  };
}

/** The signature header's value for a body, as a sender computes it. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
