import { readFileSync } from 'node:fs';
import {
  checkKeyPrefix,
  DEFAULT_ENDPOINT,
  DISTILL_PREFIX,
  EndpointCatalogSchema,
  MODELS_PREFIX,
  parseObjectScope,
  policyProblems,
  type EndpointCatalog,
  type ScopePolicy,
} from '@datashunt/contracts';

/** What only the operator decides: which large-model endpoints exist, and which objects runs may read and write. */
export interface OperatorPolicy {
  endpoints: EndpointCatalog;
  scopes: ScopePolicy;
}

interface PolicySettings {
  S3_BUCKET: string;
  MANIFEST_PREFIX: string;
  OPENAI_BASE_URL: string;
  OPENAI_API_KEY: string;
  OPENAI_MAX_RPM: number;
  LLM_ENDPOINTS?: string | undefined;
  LLM_ENDPOINTS_FILE?: string | undefined;
  INPUT_SCOPES?: string[] | undefined;
  OUTPUT_PREFIXES: string[];
}

// Keys read from the environment at start-up, held outside the config object so that no log line or
// serialisation of the config can carry them.
const envKeys = new WeakMap<EndpointCatalog, Map<string, string | undefined>>();

export function loadOperatorPolicy(settings: PolicySettings, env: Record<string, string | undefined>): { ok: true; value: OperatorPolicy } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const endpoints = loadEndpoints(settings, problems);
  const scopes = loadScopes(settings, problems);
  if (!endpoints || !scopes || problems.length) return { ok: false, problems };
  // The default endpoint's key may come from OPENAI_API_KEY's own default (the local reference LLM).
  const lookup: Record<string, string | undefined> = { ...env, OPENAI_API_KEY: settings.OPENAI_API_KEY };
  envKeys.set(endpoints, new Map(Object.entries(endpoints).map(([name, e]) => [name, e.apiKeyEnv ? lookup[e.apiKeyEnv] || undefined : undefined])));
  return { ok: true, value: { endpoints, scopes } };
}

function loadEndpoints(settings: PolicySettings, problems: string[]): EndpointCatalog | undefined {
  if (settings.LLM_ENDPOINTS && settings.LLM_ENDPOINTS_FILE) {
    problems.push('LLM_ENDPOINTS and LLM_ENDPOINTS_FILE: set one of them, not both');
    return undefined;
  }
  let text: string | undefined = settings.LLM_ENDPOINTS;
  let source = 'LLM_ENDPOINTS';
  if (settings.LLM_ENDPOINTS_FILE) {
    source = `LLM_ENDPOINTS_FILE (${settings.LLM_ENDPOINTS_FILE})`;
    try {
      text = readFileSync(settings.LLM_ENDPOINTS_FILE, 'utf8');
    } catch (error) {
      problems.push(`${source}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
  }
  if (text === undefined) {
    // Parsed like a declared endpoint, so it gets the same defaults.
    return EndpointCatalogSchema.parse({ [DEFAULT_ENDPOINT]: { baseURL: settings.OPENAI_BASE_URL, apiKeyEnv: 'OPENAI_API_KEY', maxRequestsPerMinute: settings.OPENAI_MAX_RPM } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`${source}: not valid JSON`);
    return undefined;
  }
  const parsed = EndpointCatalogSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: an endpoint's header values may be secrets.
    for (const issue of parsed.error.issues) problems.push(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return undefined;
  }
  return parsed.data;
}

function loadScopes(settings: PolicySettings, problems: string[]): ScopePolicy | undefined {
  const scopeTexts = settings.INPUT_SCOPES ?? [`${settings.S3_BUCKET}/datasets/`];
  const inputScopes = scopeTexts.map((text) => {
    const scope = parseObjectScope(text);
    if (!scope.ok) problems.push(`INPUT_SCOPES: "${text}": ${scope.message}`);
    return scope.ok ? scope.value : undefined;
  });
  const outputPrefixes = settings.OUTPUT_PREFIXES.map((text) => {
    const prefix = checkKeyPrefix(text, 'OUTPUT_PREFIXES entry');
    if (!prefix.ok) problems.push(`OUTPUT_PREFIXES: ${prefix.message}`);
    else if (prefix.value === '') problems.push('OUTPUT_PREFIXES: the bucket root cannot be an output prefix');
    return prefix.ok ? prefix.value : undefined;
  });
  const manifestPrefix = checkKeyPrefix(settings.MANIFEST_PREFIX, 'MANIFEST_PREFIX');
  if (!manifestPrefix.ok) problems.push(manifestPrefix.message);
  if (inputScopes.includes(undefined) || outputPrefixes.includes(undefined) || !manifestPrefix.ok) return undefined;
  const policy: ScopePolicy = {
    runBucket: settings.S3_BUCKET,
    inputScopes: inputScopes as NonNullable<(typeof inputScopes)[number]>[],
    outputPrefixes: outputPrefixes as string[],
    reservedPrefixes: [manifestPrefix.value, MODELS_PREFIX, DISTILL_PREFIX],
  };
  problems.push(...policyProblems(policy).map((p) => `OUTPUT_PREFIXES: ${p}`));
  return policy;
}

/** The key of a declared endpoint: its environment variable (read at start-up) or its secret file. */
export function endpointApiKey(endpoints: EndpointCatalog, name: string): string {
  const endpoint = endpoints[name];
  if (!endpoint) throw new Error(`unknown endpoint "${name}"`);
  if (endpoint.apiKeyFile) {
    try {
      const key = readFileSync(endpoint.apiKeyFile, 'utf8').trim();
      if (key) return key;
    } catch (error) {
      throw new Error(`endpoint "${name}": cannot read its key file ${endpoint.apiKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    throw new Error(`endpoint "${name}": its key file ${endpoint.apiKeyFile} is empty`);
  }
  const key = envKeys.get(endpoints)?.get(name);
  if (!key) throw new Error(`endpoint "${name}": the environment variable ${endpoint.apiKeyEnv} that holds its key is not set`);
  return key;
}
