import type { IncomingHttpHeaders } from 'node:http';
import { basicCredentials, ConfigError, isLoopbackHost, readSecret, safeEqual, type Config } from '@datashunt/runtime';

/** Readers see the board read-only; writers may also add, retry, clean, pause and remove schedulers. */
export type Role = 'reader' | 'writer';

export interface DashboardAccess {
  mode: Config['DASHBOARD_AUTH'];
  /** The caller's role, or undefined when the request carries no valid credentials. */
  roleOf(headers: IncomingHttpHeaders): Role | undefined;
  /** What a 401 tells the client (basic mode asks the browser for credentials). */
  challenge: string | undefined;
}

type AccessSettings = Pick<
  Config,
  | 'DASHBOARD_AUTH'
  | 'DASHBOARD_HOST'
  | 'DASHBOARD_USER'
  | 'DASHBOARD_PASSWORD'
  | 'DASHBOARD_PASSWORD_FILE'
  | 'DASHBOARD_WRITER_USER'
  | 'DASHBOARD_WRITER_PASSWORD'
  | 'DASHBOARD_WRITER_PASSWORD_FILE'
  | 'DASHBOARD_PROXY_USER_HEADER'
  | 'DASHBOARD_PROXY_GROUPS_HEADER'
  | 'DASHBOARD_PROXY_WRITER_GROUP'
>;

/**
 * Who may see the dashboard, from the settings; refuses a setup that would leave it open (no
 * password in basic mode, no authentication off loopback) with a one-line error naming the setting.
 */
export function dashboardAccess(config: AccessSettings): DashboardAccess {
  switch (config.DASHBOARD_AUTH) {
    case 'basic':
      return basicAccess(config);
    case 'proxy':
      return proxyAccess(config);
    case 'none':
      if (!isLoopbackHost(config.DASHBOARD_HOST)) {
        throw new ConfigError(`DASHBOARD_AUTH=none is allowed only with DASHBOARD_HOST on loopback (it is ${config.DASHBOARD_HOST})`);
      }
      return { mode: 'none', roleOf: () => 'reader', challenge: undefined };
  }
}

function basicAccess(config: AccessSettings): DashboardAccess {
  const readerPassword = readSecret('DASHBOARD_PASSWORD', config.DASHBOARD_PASSWORD, config.DASHBOARD_PASSWORD_FILE);
  if (!readerPassword) {
    throw new ConfigError('the dashboard needs DASHBOARD_PASSWORD or DASHBOARD_PASSWORD_FILE (DASHBOARD_AUTH=basic, the default)');
  }
  const writerPassword = readSecret('DASHBOARD_WRITER_PASSWORD', config.DASHBOARD_WRITER_PASSWORD, config.DASHBOARD_WRITER_PASSWORD_FILE);
  if (writerPassword !== undefined && config.DASHBOARD_WRITER_USER === config.DASHBOARD_USER) {
    throw new ConfigError('DASHBOARD_WRITER_USER must differ from DASHBOARD_USER');
  }
  return {
    mode: 'basic',
    challenge: 'Basic realm="datashunt", charset="UTF-8"',
    roleOf(headers) {
      const presented = basicCredentials(headers.authorization);
      if (!presented) return undefined;
      // Both comparisons always run, so the timing does not tell which user name exists.
      const reader = safeEqual(presented.user, config.DASHBOARD_USER) && safeEqual(presented.password, readerPassword);
      const writer =
        writerPassword !== undefined && safeEqual(presented.user, config.DASHBOARD_WRITER_USER) && safeEqual(presented.password, writerPassword);
      return writer ? 'writer' : reader ? 'reader' : undefined;
    },
  };
}

function proxyAccess(config: AccessSettings): DashboardAccess {
  const userHeader = config.DASHBOARD_PROXY_USER_HEADER;
  const groupsHeader = config.DASHBOARD_PROXY_GROUPS_HEADER;
  const writerGroup = config.DASHBOARD_PROXY_WRITER_GROUP;
  return {
    mode: 'proxy',
    challenge: undefined,
    roleOf(headers) {
      const user = single(headers[userHeader]);
      if (!user) return undefined;
      const groups = (single(headers[groupsHeader]) ?? '').split(',').map((g) => g.trim());
      return writerGroup !== undefined && groups.includes(writerGroup) ? 'writer' : 'reader';
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  return text?.trim() || undefined;
}
