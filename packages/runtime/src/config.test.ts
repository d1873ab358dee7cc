import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigSchema, loadConfig } from './config.js';
import { endpointApiKey } from './operator-policy.js';

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

  it('refuses an S3_ENDPOINT without an http(s) scheme, saying what one looks like', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'localhost:9000' })).toThrow(/S3_ENDPOINT: must be an http:\/\/ or https:\/\/ URL, e\.g\. http:\/\/localhost:9000/);
    expect(() => loadConfig({ S3_ENDPOINT: 'ftp://files.example' })).toThrow(/S3_ENDPOINT/);
    expect(loadConfig({ S3_ENDPOINT: 'https://s3.example.com' }).S3_ENDPOINT).toBe('https://s3.example.com');
  });

  it('declares one default endpoint from OPENAI_* and reads input from the run bucket\'s datasets/', () => {
    const c = loadConfig({ OPENAI_BASE_URL: 'https://api.example/v1', OPENAI_API_KEY: 'sk-test', S3_BUCKET: 'acme' });
    expect(c.endpoints).toEqual({ default: { baseURL: 'https://api.example/v1', apiKeyEnv: 'OPENAI_API_KEY', headers: {}, maxRequestsPerMinute: 10_000, request: { logprobs: true, tokenLimitParam: 'max_tokens', temperature: true } } });
    expect(endpointApiKey(c.endpoints, 'default')).toBe('sk-test');
    expect(c.scopes.inputScopes).toEqual([{ bucket: 'acme', prefix: 'datasets/' }]);
    expect(c.scopes.reservedPrefixes).toEqual(['manifests/', 'models/', 'distill/']);
  });

  it('reads declared endpoints with their own keys, from the environment or a secret file, and keeps keys out of the config object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-cfg-'));
    writeFileSync(join(dir, 'key'), 'sk-from-file\n');
    const endpoints = {
      openai: { baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'TEAM_OPENAI_KEY', maxRequestsPerMinute: 500 },
      vllm: { baseURL: 'http://10.0.0.5:8000/v1', apiKeyFile: join(dir, 'key'), maxRequestsPerMinute: 100 },
    };
    const c = loadConfig({ LLM_ENDPOINTS: JSON.stringify(endpoints), TEAM_OPENAI_KEY: 'sk-env' });
    expect(endpointApiKey(c.endpoints, 'openai')).toBe('sk-env');
    expect(endpointApiKey(c.endpoints, 'vllm')).toBe('sk-from-file');
    expect(JSON.stringify(c)).not.toContain('sk-env');
    expect(() => endpointApiKey(loadConfig({ LLM_ENDPOINTS: JSON.stringify(endpoints) }).endpoints, 'openai')).toThrow(/TEAM_OPENAI_KEY.*not set/);
  });

  it('refuses bad endpoint declarations and scopes with the setting named', () => {
    expect(() => loadConfig({ LLM_ENDPOINTS: '{"x": {"baseURL": "file:///etc/passwd", "apiKeyEnv": "K", "maxRequestsPerMinute": 1}}' })).toThrow(/LLM_ENDPOINTS: x.baseURL/);
    expect(() => loadConfig({ LLM_ENDPOINTS: 'not json' })).toThrow(/LLM_ENDPOINTS: not valid JSON/);
    expect(() => loadConfig({ LLM_ENDPOINTS_FILE: '/nonexistent/endpoints.json' })).toThrow(/LLM_ENDPOINTS_FILE.*ENOENT/);
    expect(() => loadConfig({ INPUT_SCOPES: 'datashunt/../x' })).toThrow(/INPUT_SCOPES/);
    expect(() => loadConfig({ OUTPUT_PREFIXES: 'models/' })).toThrow(/OUTPUT_PREFIXES.*overlaps/);
  });

  it('is listed whole in .env.example, and that file parses with its defaults', () => {
    const example = readFileSync(join(__dirname, '../../../.env.example'), 'utf8');
    const listed = Object.fromEntries(
      example
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(ConfigSchema.shape).filter((key) => !(key in listed))).toEqual([]);
    expect(Object.keys(listed).filter((key) => !(key in ConfigSchema.shape))).toEqual([]);
    expect(loadConfig({ ...listed, DASHBOARD_PASSWORD: 'x' }).LLM_TIMEOUT_RETRIES).toBe(1);
  });
});
