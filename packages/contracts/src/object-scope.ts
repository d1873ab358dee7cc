/**
 * Every object key, prefix and URI that comes from outside (a manifest, a webhook, a CLI argument) is
 * checked here, and nowhere else: what a key may look like, which buckets and prefixes may be read,
 * and where a run may write. Only the operator's configuration widens these scopes.
 */

export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** A bucket and a key prefix inside it ("" is the whole bucket). */
export interface ObjectScope {
  bucket: string;
  prefix: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

// S3's own bucket naming rules (lower case, digits, dots and hyphens, 3-63 characters).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_KEY_BYTES = 1024;

/** Why a key (or a prefix, with `allowTrailingSlash`) is unsafe, or undefined when it is fine. */
function keyProblem(key: string, what: string, options: { prefix: boolean }): string | undefined {
  if (key === '') return options.prefix ? undefined : `${what} is empty`;
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) return `${what} is longer than ${MAX_KEY_BYTES} bytes`;
  // Control characters (C0, DEL, C1) are never part of a key a person meant to write.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) return `${what} contains a control character`;
  if (key.startsWith('/')) return `${what} must not start with "/"`;
  if (key.includes('\\')) return `${what} must not contain "\\"`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(key)) return `${what} must be a key, not a URL (only s3://bucket/key URIs are accepted)`;
  const segments = key.split('/');
  const body = options.prefix && key.endsWith('/') ? segments.slice(0, -1) : segments;
  for (const segment of body) {
    if (segment === '..' || segment === '.') return `${what} must not contain "${segment}" segments`;
    if (segment === '') return `${what} must not contain empty segments ("//")`;
  }
  return undefined;
}

export function checkObjectKey(key: string, what = 'key'): Checked<string> {
  if (key.endsWith('/')) return fail(`${what} names a folder, not an object`);
  const problem = keyProblem(key, what, { prefix: false });
  return problem ? fail(problem) : ok(key);
}

/** A prefix is a key that ends in "/" (one is added when missing), or "" for the bucket's root. */
export function checkKeyPrefix(prefix: string, what = 'prefix'): Checked<string> {
  const problem = keyProblem(prefix, what, { prefix: true });
  if (problem) return fail(problem);
  return ok(prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);
}

export function checkBucketName(bucket: string, what = 'bucket'): Checked<string> {
  return BUCKET.test(bucket) && !bucket.includes('..') ? ok(bucket) : fail(`${what} "${bucket}" is not a valid S3 bucket name`);
}

/** `s3://bucket/key`, or a bare key in the default bucket. No other scheme. */
export function parseObjectUri(uri: string, defaultBucket: string, what = 'uri'): Checked<ObjectLocation> {
  return parseUri(uri, defaultBucket, what, checkObjectKey);
}

/** A manifest's input: one object, or every object under a prefix (a URI that ends in "/"). */
export interface InputLocation extends ObjectLocation {
  /** `key` is a prefix ending in "/" ("" for a whole bucket): the input is every object under it. */
  isPrefix: boolean;
}

/** Like parseObjectUri, but a URI ending in "/" names a prefix of many objects. */
export function parseInputUri(uri: string, defaultBucket: string, what = 'input.uri'): Checked<InputLocation> {
  const isPrefix = uri.endsWith('/');
  const parsed = parseUri(uri, defaultBucket, what, isPrefix ? checkKeyPrefix : checkObjectKey);
  return parsed.ok ? ok({ ...parsed.value, isPrefix }) : parsed;
}

function parseUri(uri: string, defaultBucket: string, what: string, checkKey: (key: string, what: string) => Checked<string>): Checked<ObjectLocation> {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return fail(`${what} "${clip(uri)}" must be s3://bucket/key`);
    const bucket = checkBucketName(rest.slice(0, slash), `${what}'s bucket`);
    if (!bucket.ok) return bucket;
    const key = checkKey(rest.slice(slash + 1), `${what}'s key`);
    return key.ok ? ok({ bucket: bucket.value, key: key.value }) : key;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return fail(`${what} "${clip(uri)}" uses an unsupported scheme: only s3://bucket/key or a key in the run bucket`);
  const key = checkKey(uri, what);
  return key.ok ? ok({ bucket: defaultBucket, key: key.value }) : key;
}

/** "bucket/prefix/" or "bucket" (the whole bucket): how the operator writes a readable scope. */
export function parseObjectScope(text: string): Checked<ObjectScope> {
  const trimmed = text.replace(/^s3:\/\//, '');
  const slash = trimmed.indexOf('/');
  const bucket = checkBucketName(slash < 0 ? trimmed : trimmed.slice(0, slash), 'scope bucket');
  if (!bucket.ok) return bucket;
  const prefix = checkKeyPrefix(slash < 0 ? '' : trimmed.slice(slash + 1), 'scope prefix');
  return prefix.ok ? ok({ bucket: bucket.value, prefix: prefix.value }) : prefix;
}

export function isWithin(location: ObjectLocation, scope: ObjectScope): boolean {
  return location.bucket === scope.bucket && location.key.startsWith(scope.prefix);
}

export function formatScope(scope: ObjectScope): string {
  return `s3://${scope.bucket}/${scope.prefix}`;
}

export interface ScopePolicy {
  /** The run bucket: outputs, manifests, models and distillation sets live there. */
  runBucket: string;
  /** Where a manifest's input may be read from. */
  inputScopes: ObjectScope[];
  /** The output prefixes a manifest may choose (in the run bucket). */
  outputPrefixes: string[];
  /** The system's own prefixes in the run bucket (manifests, models, distillation sets): never read as input, never written by a run. */
  reservedPrefixes: string[];
}

/** One input object: a valid URI of an object, inside an input scope, and not inside any of the system's own prefixes. */
export function checkInputUri(uri: string, policy: ScopePolicy, what = 'input.uri'): Checked<ObjectLocation> {
  const parsed = parseObjectUri(uri, policy.runBucket, what);
  if (!parsed.ok) return parsed;
  const problem = inputScopeProblem({ ...parsed.value, isPrefix: false }, policy, what);
  return problem ? fail(problem) : parsed;
}

/**
 * A manifest's input: one object (as checkInputUri) or a prefix, which must not hold any of the
 * system's own prefixes either (its listing would read them). Each object listed under a prefix is
 * then checked with checkInputUri like a single input.
 */
export function checkInputLocation(uri: string, policy: ScopePolicy, what = 'input.uri'): Checked<InputLocation> {
  const parsed = parseInputUri(uri, policy.runBucket, what);
  if (!parsed.ok) return parsed;
  const problem = inputScopeProblem(parsed.value, policy, what);
  return problem ? fail(problem) : parsed;
}

function inputScopeProblem(location: InputLocation, policy: ScopePolicy, what: string): string | undefined {
  const shown = `s3://${location.bucket}/${location.key}`;
  for (const own of [...policy.reservedPrefixes, ...policy.outputPrefixes]) {
    if (isWithin(location, { bucket: policy.runBucket, prefix: own })) return `${what} ${shown} lies under "${own}", which holds the system's own objects and is never read as input`;
    if (location.isPrefix && location.bucket === policy.runBucket && own.startsWith(location.key)) {
      return `${what} ${shown} contains "${own}", where the system keeps its own objects, which are never read as input`;
    }
  }
  if (!policy.inputScopes.some((scope) => isWithin(location, scope))) {
    return `${what} ${shown} is outside the readable scopes (${policy.inputScopes.map(formatScope).join(', ')}); the operator widens them with INPUT_SCOPES`;
  }
  return undefined;
}

/** A manifest's output prefix: one the operator allows, never one of the system's own. */
export function checkOutputPrefix(prefix: string, policy: ScopePolicy): Checked<string> {
  const checked = checkKeyPrefix(prefix, 'output.prefix');
  if (!checked.ok) return checked;
  if (checked.value === '') return fail('output.prefix must not be empty (the bucket root)');
  if (!policy.outputPrefixes.includes(checked.value)) {
    return fail(`output.prefix "${clip(prefix)}" is not an allowed output prefix (${policy.outputPrefixes.map((p) => `"${p}"`).join(', ')}); the operator sets them with OUTPUT_PREFIXES`);
  }
  return checked;
}

/** The operator's own settings must keep outputs apart from the system's prefixes; said at start-up. */
export function policyProblems(policy: ScopePolicy): string[] {
  const problems: string[] = [];
  for (const out of policy.outputPrefixes) {
    const clash = policy.reservedPrefixes.find((r) => out.startsWith(r) || r.startsWith(out));
    if (clash !== undefined) problems.push(`output prefix "${out}" overlaps the system prefix "${clash}"`);
  }
  return problems;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
