import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startLocalStack, PIPELINE_SERVICES, type LocalStack } from '@datashunt/cli';
import type { ManifestInput } from '@datashunt/contracts';
import { buildDataset, datasetPaths, readJsonlFileAll } from '@datashunt/datasets';
import { buildStandIn, startReferenceLlm, writeStandIn } from '@datashunt/reference-llm';
import { ModelRegistry, trainAndRegister } from '@datashunt/small-models';
import { headObject, putBytes, putJson, startLocalS3, toJsonl } from '@datashunt/storage';

export interface SpamRow {
  id: string;
  input: string;
  label: string;
}

/** The SpamAssassin splits, built once into .data/datasets by the project's own builder. */
export async function spamSplits(): Promise<{ train: SpamRow[]; validation: SpamRow[]; test: SpamRow[] }> {
  await buildDataset('spam');
  const paths = datasetPaths('spam');
  const [train, validation, test] = await Promise.all([paths.train, paths.validation, paths.test].map((path) => readJsonlFileAll<SpamRow>(path)));
  return { train: train!, validation: validation!, test: test! };
}

export interface TestStack extends LocalStack {
  dir: string;
  registry: ModelRegistry;
  put(key: string, body: string): Promise<void>;
  /** Drops a manifest and announces it the way S3 would, through the ingest notification endpoint. */
  dropManifest(key: string, manifest: unknown): Promise<void>;
  /** Takes the S3 server down (connections refused) and brings it back with the same objects. */
  stopS3(): Promise<void>;
  startS3(): Promise<void>;
  /** Announces an object already in the bucket, as S3 would on a PUT. */
  announce(key: string): Promise<void>;
  ingestPort(): number;
  /** The reference LLM's http://host:port, for its /admin routes (faults, stats, batch settings). */
  referenceLlmUrl: string;
  dispose(): Promise<void>;
}

export interface TestStackOptions {
  standInTrainPath: string;
  env?: Record<string, string>;
  services?: string[];
  /** The operator's endpoints (LLM_ENDPOINTS), given the reference LLM's base URL; unset: the one default endpoint. */
  endpoints?: (referenceBaseURL: string) => Record<string, unknown>;
  /** The only key the reference LLM accepts (others get 401); unset: any. */
  referenceApiKey?: string;
  /** Keeps every log line (at debug level) here instead of silencing them. */
  logLines?: string[];
}

/** A whole stack per test file: its own S3 directory, queue prefix and ports, so files never collide. */
export async function startTestStack(options: TestStackOptions): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-it-'));
  const modelsDir = join(dir, 'reference-llm');
  await writeStandIn(modelsDir, await buildStandIn({ trainPath: options.standInTrainPath, task: 'spam', perClass: 40, seed: 7 }));
  // Started here rather than by the local stack, so that endpoint declarations can name its URL.
  const llm = await startReferenceLlm({ port: 0, host: '127.0.0.1', modelsDir, ...(options.referenceApiKey ? { apiKey: options.referenceApiKey } : {}) });
  const endpoints = options.endpoints?.(llm.baseURL);
  // S3 too, so that fault tests can take it down and bring it back on the same port and folder.
  const s3Dir = join(dir, 's3');
  let s3Server = await startLocalS3({ directory: s3Dir });
  const s3Port = Number(new URL(s3Server.endpoint).port);
  const stack = await startLocalStack({
    dataDir: dir,
    services: options.services ?? PIPELINE_SERVICES,
    referenceModelsDir: modelsDir,
    logLevel: options.logLines ? 'debug' : 'silent',
    ...(options.logLines ? { logDestination: { write: (line: string) => void options.logLines!.push(line) } } : {}),
    env: {
      QUEUE_PREFIX: `{it${randomBytes(4).toString('hex')}}`,
      S3_BUCKET: 'datashunt-it',
      INGEST_HTTP_PORT: '0',
      SWEEP_EVERY_MS: '0',
      OPENAI_BASE_URL: llm.baseURL,
      S3_ENDPOINT: s3Server.endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      OPENAI_MAX_RPM: '60000',
      ...(endpoints ? { LLM_ENDPOINTS: JSON.stringify(endpoints) } : {}),
      ...options.env,
    },
  });
  const { s3, bucket } = stack.runtime;
  const ingest = stack.services.modules.find((m) => m.name === 'ingest') as unknown as { port(): number };
  /** Announces an object as S3 would, through ingest's notification endpoint with the webhook secret. */
  const announce = async (key: string) => {
    const head = await headObject(s3, { bucket, key });
    const res = await fetch(`http://127.0.0.1:${ingest.port()}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.config.WEBHOOK_SECRET}` },
      body: JSON.stringify({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, eTag: head!.etag } } }] }),
    });
    if (res.status !== 202) throw new Error(`notification refused: ${res.status} ${await res.text()}`);
  };
  return {
    ...stack,
    dir,
    registry: new ModelRegistry(s3, bucket),
    put: (key, body) => putBytes(s3, { bucket, key }, body),
    ingestPort: () => ingest.port(),
    referenceLlmUrl: llm.url,
    async dropManifest(key, manifest) {
      await putJson(s3, { bucket, key }, manifest);
      await announce(key);
    },
    announce,
    async stopS3() {
      await s3Server.close();
    },
    async startS3() {
      s3Server = await startLocalS3({ directory: s3Dir, port: s3Port });
    },
    async dispose() {
      await stack.close();
      await llm.close();
      await s3Server.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function trainSpamModel(registry: ModelRegistry, train: SpamRow[], validation: SpamRow[]) {
  return trainAndRegister({
    registry,
    name: 'spam-text',
    family: 'text-fasttext',
    labels: ['ham', 'spam'],
    train,
    validation,
    hyper: { epochs: 4, seed: 3 },
  });
}

/**
 * The usual fixture: a test stack whose reference LLM stands in for spam, with the spam model trained
 * on the whole train split.
 */
export async function startSpamStack(options: Omit<TestStackOptions, 'standInTrainPath'> = {}): Promise<{ stack: TestStack; splits: Awaited<ReturnType<typeof spamSplits>> }> {
  const splits = await spamSplits();
  const stack = await startTestStack({ standInTrainPath: datasetPaths('spam').train, ...options });
  await trainSpamModel(stack.registry, splits.train, splits.validation);
  return { stack, splits };
}

export function spamManifest(inputKey: string, over: Partial<ManifestInput> = {}): ManifestInput {
  return {
    task: { type: 'classification', labels: ['ham', 'spam'], instruction: 'Is this e-mail spam or ham (legitimate)?' },
    input: { uri: inputKey },
    smallModel: { name: 'spam-text' },
    largeModel: { model: 'reference-generalist', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } },
    delta: 0.99,
    budgetUsd: 10,
    shardSize: 150,
    ...over,
  };
}

export { toJsonl };
