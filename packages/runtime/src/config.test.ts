import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.S3_FORCE_PATH_STYLE).toBe(true);
    expect(c.SCORER_EXECUTION_PROVIDERS).toEqual(['cpu']);
  });

  it('binds every listener to loopback and requires dashboard and webhook credentials by default', () => {
    const c = loadConfig({});
    expect([c.DASHBOARD_HOST, c.INGEST_HTTP_HOST, c.METRICS_HOST]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(c.DASHBOARD_AUTH).toBe('basic');
    expect(c.WEBHOOK_AUTH).toBe('secret');
    expect(loadConfig({ DASHBOARD_PROXY_USER_HEADER: 'X-Auth-Request-User' }).DASHBOARD_PROXY_USER_HEADER).toBe('x-auth-request-user');
  });

  it('parses lists, booleans and numbers, treating empty strings as unset', () => {
    const c = loadConfig({ SCORER_EXECUTION_PROVIDERS: 'cuda, cpu', S3_FORCE_PATH_STYLE: 'false', LLM_CONCURRENCY: '4', S3_ENDPOINT: '' });
    expect(c.SCORER_EXECUTION_PROVIDERS).toEqual(['cuda', 'cpu']);
    expect(c.S3_FORCE_PATH_STYLE).toBe(false);
    expect(c.LLM_CONCURRENCY).toBe(4);
    expect(c.S3_ENDPOINT).toBeUndefined();
  });

  it('names every bad variable and never echoes its value', () => {
    let error: unknown;
    try {
      loadConfig({ LLM_CONCURRENCY: 'many', S3_ENDPOINT: 'not a url secret-ish', QUEUE_PREFIX: 'a:b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('LLM_CONCURRENCY');
    expect(message).toContain('S3_ENDPOINT');
    expect(message).toContain('QUEUE_PREFIX');
    expect(message).not.toContain('secret-ish');
  });
});
