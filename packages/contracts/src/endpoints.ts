import { z } from 'zod';

/**
 * The large-model endpoints the operator declares (LLM_ENDPOINTS or LLM_ENDPOINTS_FILE). A manifest
 * names one of them and a model; it can never bring a URL of its own, so an endpoint's key is sent to
 * that endpoint and nowhere else.
 */
export const EndpointNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "_" and "-", at most 63');

const HttpUrlSchema = z
  .string()
  .url()
  .refine((url) => /^https?:$/.test(new URL(url).protocol), 'only http:// and https:// endpoints')
  .refine((url) => new URL(url).username === '' && new URL(url).password === '', 'credentials do not belong in the URL: use apiKeyEnv or apiKeyFile');

export const EndpointSchema = z
  .object({
    baseURL: HttpUrlSchema,
    /** The environment variable that holds this endpoint's key. */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    /** A file (e.g. a mounted Kubernetes secret) that holds this endpoint's key; read at start-up. */
    apiKeyFile: z.string().min(1).optional(),
    /** Extra headers on every request to this endpoint (e.g. an organisation or project id). */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    /** Azure OpenAI through the SDK's Azure client: the base URL is the resource endpoint, the model the deployment. */
    azure: z.object({ apiVersion: z.string().min(1) }).strict().optional(),
    /** The endpoint's ceiling; a manifest may only ask for less. */
    maxRequestsPerMinute: z.number().int().positive(),
    maxTokensPerMinute: z.number().int().positive().optional(),
    /**
     * Which request parameters the endpoint's models accept. Reasoning models (OpenAI o-series, gpt-5)
     * reject `logprobs`, `max_tokens` and a temperature: turn them off here. Without logprobs the large
     * model's answers carry no confidence (c_l null), so 2CD cannot select them as confident (x3).
     */
    request: z
      .object({
        logprobs: z.boolean().default(true),
        tokenLimitParam: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
        temperature: z.boolean().default(true),
      })
      .strict()
      .default({ logprobs: true, tokenLimitParam: 'max_tokens', temperature: true }),
    /** Models a manifest may ask for on this endpoint; absent: any. */
    models: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((e) => (e.apiKeyEnv === undefined) !== (e.apiKeyFile === undefined), 'set exactly one of apiKeyEnv and apiKeyFile');

export const EndpointCatalogSchema = z.record(EndpointNameSchema, EndpointSchema).refine((c) => Object.keys(c).length > 0, 'declare at least one endpoint');

export type EndpointSpec = z.infer<typeof EndpointSchema>;
export type EndpointRequestStyle = EndpointSpec['request'];

/** The sampling parameters of a chat completion request, as the endpoint's models accept them. */
export function requestParams(style: EndpointRequestStyle, spec: { temperature: number; maxOutputTokens: number }, topLogprobs: number): Record<string, number | boolean> {
  return {
    ...(style.temperature ? { temperature: spec.temperature } : {}),
    [style.tokenLimitParam]: spec.maxOutputTokens,
    ...(style.logprobs ? { logprobs: true, top_logprobs: topLogprobs } : {}),
  };
}

/** Added to a provider's refusal of a parameter: the endpoint setting that stops sending it. */
export const REQUEST_STYLE_HINT =
  'if the model rejects logprobs, max_tokens or temperature (reasoning models do), set "request": {"logprobs": false, "tokenLimitParam": "max_completion_tokens", "temperature": false} on the endpoint';
export type EndpointCatalog = z.infer<typeof EndpointCatalogSchema>;

/** The endpoint a manifest gets when it names none. */
export const DEFAULT_ENDPOINT = 'default';

/** The one-line how-to that every refusal of a manifest's endpoint carries. */
export const DECLARE_ENDPOINT_HINT =
  'the operator declares endpoints in LLM_ENDPOINTS or LLM_ENDPOINTS_FILE ({"<name>": {"baseURL": "https://...", "apiKeyEnv": "<VAR>", "maxRequestsPerMinute": N}}); a manifest picks one with largeModel.endpoint';

/** Whether a manifest may use `model` on the named endpoint; the reason when it may not. */
export function endpointProblem(catalog: EndpointCatalog, name: string, model: string): string | undefined {
  const endpoint = catalog[name];
  if (!endpoint) return `unknown endpoint "${name}" (declared: ${Object.keys(catalog).join(', ')}); ${DECLARE_ENDPOINT_HINT}`;
  if (endpoint.models && !endpoint.models.includes(model)) return `model "${model}" is not offered on endpoint "${name}" (allowed: ${endpoint.models.join(', ')})`;
  return undefined;
}
