import { z } from 'zod';
import {
  checkInputLocation,
  checkOutputPrefix,
  DECLARE_ENDPOINT_HINT,
  endpointProblem,
  manifestFieldIssues,
  ManifestSchema,
  type EndpointCatalog,
  type InputLocation,
  type Manifest,
  type ScopePolicy,
} from '@datashunt/contracts';

export interface ManifestIssue {
  path: string;
  message: string;
}

export type ManifestCheck = { ok: true; manifest: Manifest } | { ok: false; message: string; issues: ManifestIssue[] };

/** Fields a manifest may never carry: where a key goes is the operator's decision, not the manifest's. */
const ENDPOINT_FIELDS = new Set(['baseURL', 'baseUrl', 'base_url', 'url', 'apiKey', 'api_key', 'headers', 'organization']);

/** Parses and validates a manifest's bytes, naming the field path of every problem. */
export function checkManifest(bytes: Buffer): ManifestCheck {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, message: 'manifest is not valid JSON', issues: [{ path: '', message: (error as Error).message }] };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) return invalidManifest(parsed.error.issues.flatMap(describeIssue));
  const issues = manifestFieldIssues(parsed.data);
  return issues.length ? invalidManifest(issues) : { ok: true, manifest: parsed.data };
}

/**
 * What the operator's settings allow: the input within the readable scopes, an allowed output
 * prefix, a declared endpoint offering the model, and no more requests per minute than its ceiling.
 */
export function checkManifestPolicy(
  manifest: Manifest,
  policy: { scopes: ScopePolicy; endpoints: EndpointCatalog },
): { ok: true; input: InputLocation } | { ok: false; message: string; issues: ManifestIssue[] } {
  const issues: ManifestIssue[] = [];
  const input = checkInputLocation(manifest.input.uri, policy.scopes);
  if (!input.ok) issues.push({ path: 'input.uri', message: input.message });
  const output = checkOutputPrefix(manifest.output.prefix, policy.scopes);
  if (!output.ok) issues.push({ path: 'output.prefix', message: output.message });
  const { endpoint, model, rateLimitRpm } = manifest.largeModel;
  const endpointIssue = endpointProblem(policy.endpoints, endpoint, model);
  if (endpointIssue) issues.push({ path: 'largeModel.endpoint', message: endpointIssue });
  const ceiling = policy.endpoints[endpoint]?.maxRequestsPerMinute;
  if (ceiling !== undefined && rateLimitRpm !== undefined && rateLimitRpm > ceiling) {
    issues.push({ path: 'largeModel.rateLimitRpm', message: `${rateLimitRpm} is above endpoint "${endpoint}"'s ceiling of ${ceiling} requests per minute; ask for at most that, or leave it unset` });
  }
  if (issues.length || !input.ok) return invalidManifest(issues);
  return { ok: true, input: input.value };
}

export function invalidManifest(issues: ManifestIssue[]): { ok: false; message: string; issues: ManifestIssue[] } {
  return { ok: false, message: `invalid manifest: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues };
}

function describeIssue(issue: z.core.$ZodIssue): ManifestIssue[] {
  const path = issue.path.join('.');
  if (issue.code !== 'unrecognized_keys') return [{ path: path || '(root)', message: issue.message }];
  const known = knownKeysAt(issue.path);
  return issue.keys.map((key) => ({
    path: path ? `${path}.${key}` : key,
    message: ENDPOINT_FIELDS.has(key) && path === 'largeModel' ? `a manifest cannot carry "${key}": ${DECLARE_ENDPOINT_HINT}` : unknownFieldMessage(key, known),
  }));
}

function unknownFieldMessage(key: string, known: string[]): string {
  const closest = closestName(key, known);
  return `unknown field "${key}"${closest ? `; did you mean "${closest}"?` : ''} (known here: ${known.join(', ')})`;
}

/** The field names the manifest schema accepts at a path, unwrapping defaults and optionals. */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType = ManifestSchema;
  for (const segment of [...path, null]) {
    while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (!(schema instanceof z.ZodObject)) return [];
    if (segment === null) return Object.keys(schema.shape);
    const next = (schema.shape as Record<string, z.ZodType>)[String(segment)];
    if (!next) return [];
    schema = next;
  }
  return [];
}

/** The known name nearest to a misspelling (case-insensitive edit distance), when it is plausibly meant. */
export function closestName(input: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(input.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
