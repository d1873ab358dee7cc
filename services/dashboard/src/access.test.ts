import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@datashunt/runtime';
import { dashboardAccess } from './access.js';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('dashboardAccess', () => {
  it('refuses to start in the default basic mode without a password, naming the setting', () => {
    expect(() => dashboardAccess(loadConfig({}))).toThrow(/DASHBOARD_PASSWORD/);
  });

  it('gives readers and the writer their roles and nobody else one', () => {
    const access = dashboardAccess(loadConfig({ DASHBOARD_PASSWORD: 'read-pw', DASHBOARD_WRITER_PASSWORD: 'write-pw' }));
    expect(access.roleOf(basic('viewer', 'read-pw'))).toBe('reader');
    expect(access.roleOf(basic('operator', 'write-pw'))).toBe('writer');
    expect(access.roleOf(basic('operator', 'read-pw'))).toBeUndefined();
    expect(access.roleOf(basic('viewer', 'write-pw'))).toBeUndefined();
    expect(access.roleOf(basic('viewer', 'read-pw '))).toBeUndefined();
    expect(access.roleOf({ authorization: 'Bearer read-pw' })).toBeUndefined();
    expect(access.roleOf({})).toBeUndefined();
    expect(access.challenge).toMatch(/^Basic realm=/);
  });

  it('has no writer when no writer password is set', () => {
    const access = dashboardAccess(loadConfig({ DASHBOARD_PASSWORD: 'read-pw' }));
    expect(access.roleOf(basic('operator', ''))).toBeUndefined();
  });

  it('reads the password from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-dash-'));
    try {
      writeFileSync(join(dir, 'pw'), 'file-pw\n');
      const access = dashboardAccess(loadConfig({ DASHBOARD_PASSWORD_FILE: join(dir, 'pw') }));
      expect(access.roleOf(basic('viewer', 'file-pw'))).toBe('reader');
      expect(() => dashboardAccess(loadConfig({ DASHBOARD_PASSWORD: 'x', DASHBOARD_PASSWORD_FILE: join(dir, 'pw') }))).toThrow(/not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('trusts the proxy header in proxy mode, with the configured group as writer', () => {
    const access = dashboardAccess(loadConfig({ DASHBOARD_AUTH: 'proxy', DASHBOARD_PROXY_WRITER_GROUP: 'ds-admins' }));
    expect(access.roleOf({})).toBeUndefined();
    expect(access.roleOf({ 'x-forwarded-user': ' ' })).toBeUndefined();
    expect(access.roleOf({ 'x-forwarded-user': 'ana' })).toBe('reader');
    expect(access.roleOf({ 'x-forwarded-user': 'ana', 'x-forwarded-groups': 'staff, ds-admins' })).toBe('writer');
    expect(access.roleOf({ 'x-forwarded-user': 'ana', 'x-forwarded-groups': 'ds-admins-not' })).toBe('reader');
  });

  it('allows no authentication on loopback only, read-only, and names the setting otherwise', () => {
    expect(dashboardAccess(loadConfig({ DASHBOARD_AUTH: 'none' })).roleOf({})).toBe('reader');
    expect(() => dashboardAccess(loadConfig({ DASHBOARD_AUTH: 'none', DASHBOARD_HOST: '0.0.0.0' }))).toThrow(/DASHBOARD_HOST/);
  });
});
