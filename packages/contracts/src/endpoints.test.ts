import { EndpointCatalogSchema, endpointProblem, requestParams } from './endpoints.js';

describe('endpoint catalog', () => {
  const endpoint = { baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: 500 };

  it('accepts http(s) endpoints with one key source', () => {
    const parsed = EndpointCatalogSchema.parse({ openai: endpoint, local: { baseURL: 'http://127.0.0.1:8000/v1', apiKeyFile: '/run/secrets/k', maxRequestsPerMinute: 60 } });
    expect(parsed.openai!.headers).toEqual({});
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x/v1', 'data:text/plain,x', 'mailto:a@b.c', 'https://user:pw@host/v1'])('refuses the base URL %j', (baseURL) => {
    expect(EndpointCatalogSchema.safeParse({ e: { ...endpoint, baseURL } }).success).toBe(false);
  });

  it('wants exactly one key source and no unknown fields', () => {
    expect(EndpointCatalogSchema.safeParse({ e: { baseURL: endpoint.baseURL, maxRequestsPerMinute: 1 } }).success).toBe(false);
    expect(EndpointCatalogSchema.safeParse({ e: { ...endpoint, apiKeyFile: '/k' } }).success).toBe(false);
    expect(EndpointCatalogSchema.safeParse({ e: { ...endpoint, apiKey: 'sk-inline' } }).success).toBe(false);
    expect(EndpointCatalogSchema.safeParse({}).success).toBe(false);
  });

  it('says how to declare an endpoint when a manifest names an unknown one, and which models an endpoint offers', () => {
    const catalog = EndpointCatalogSchema.parse({ openai: { ...endpoint, models: ['gpt-4o-mini'] } });
    expect(endpointProblem(catalog, 'openai', 'gpt-4o-mini')).toBeUndefined();
    expect(endpointProblem(catalog, 'evil', 'gpt-4o-mini')).toMatch(/unknown endpoint "evil".*LLM_ENDPOINTS/);
    expect(endpointProblem(catalog, 'openai', 'o1')).toMatch(/not offered/);
  });

  it('sends the sampling parameters a reasoning model accepts when the endpoint says so', () => {
    const spec = { temperature: 0, maxOutputTokens: 16 };
    const chat = EndpointCatalogSchema.parse({ e: endpoint }).e!;
    expect(requestParams(chat.request, spec, 5)).toEqual({ temperature: 0, max_tokens: 16, logprobs: true, top_logprobs: 5 });
    const reasoning = EndpointCatalogSchema.parse({ e: { ...endpoint, request: { logprobs: false, tokenLimitParam: 'max_completion_tokens', temperature: false } } }).e!;
    expect(requestParams(reasoning.request, spec, 5)).toEqual({ max_completion_tokens: 16 });
    expect(EndpointCatalogSchema.safeParse({ e: { ...endpoint, request: { maxTokens: 'x' } } }).success).toBe(false);
  });
});
