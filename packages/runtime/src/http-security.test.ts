import { basicCredentials, isLoopbackHost, safeEqual } from './http-security.js';

describe('http security helpers', () => {
  it('compares credentials of any length', () => {
    expect(safeEqual('token', 'token')).toBe(true);
    expect(safeEqual('token', 'token2')).toBe(false);
    expect(safeEqual('', 'token')).toBe(false);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('reads Basic credentials, passwords with colons included', () => {
    expect(basicCredentials(`Basic ${Buffer.from('u:p:w').toString('base64')}`)).toEqual({ user: 'u', password: 'p:w' });
    expect(basicCredentials('Bearer x')).toBeUndefined();
    expect(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
  });
});
