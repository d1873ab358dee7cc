import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ConfigSchema, nodeOptionsOf, SERVICE_HEAP, type HeapService } from '@datashunt/runtime';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}
type Container = {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  resources?: { limits?: Record<string, unknown> };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
};
type PodSpec = { containers: Container[]; nodeSelector?: Record<string, string> };
type Workload = K8sObject & { spec: { replicas?: number; template: { spec: PodSpec } } };
type ScaledObject = K8sObject & { spec: { scaleTargetRef: { name: string }; minReplicaCount?: number; triggers: Array<{ type: string; metadata: Record<string, string> }> } };

/** The schema each apiVersion/kind is validated against; a kind missing here fails the test. */
const MODELS: Record<string, Record<string, unknown>> = { v1: core, 'apps/v1': apps, 'batch/v1': batch, 'keda.sh/v1alpha1': keda };
const OVERLAYS = ['dev', 'prod', 'gpu'] as const;
const SERVICES = ['ingest', 'scorer', 'router', 'llm-caller', 'finalize', 'trainer', 'dashboard'] as const satisfies readonly HeapService[];

/** `kubectl kustomize` (kubectl 1.20 from Debian's kubernetes-client, installed by scripts/install.sh, or later). */
function kustomize(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error) throw new Error("kubectl is missing: run scripts/install.sh (it installs Debian's kubernetes-client)");
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => doc.toJS() as K8sObject).filter(Boolean);
}

/** Validates one object against its Kubernetes or KEDA schema; throws naming the object and the fault. */
export function validateObject(object: K8sObject): void {
  const Model = MODELS[object.apiVersion]?.[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) throw new Error(`${object.kind} ${object.metadata?.name}: no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
  }
}

const find = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as T;
const deployments = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment') as Workload[];
const container = (deployment: Workload) => deployment.spec.template.spec.containers[0]!;
const root = join(__dirname, '..', '..', 'k8s');

/** A Kubernetes memory quantity in Mi or Gi, in MiB. */
function mebibytes(quantity: string): number {
  const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity) ?? [];
  if (!amount) throw new Error(`memory quantity ${quantity}: expected Mi or Gi`);
  return Number(amount) * (unit === 'Gi' ? 1024 : 1);
}

describe('k8s manifests (kustomize overlays)', () => {
  const built = Object.fromEntries(OVERLAYS.map((o) => [o, kustomize(join(root, 'overlays', o))])) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

  it.each(OVERLAYS)('%s: every object passes the Kubernetes and KEDA schemas, in the datashunt namespace', (overlay) => {
    const objects = built[overlay];
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) {
      validateObject(object);
      if (object.kind !== 'Namespace') expect([object.kind, object.metadata.name, object.metadata.namespace]).toEqual([object.kind, object.metadata.name, 'datashunt']);
    }
  });

  it('refuses a broken object: the validation is not a formality', () => {
    const scorer = structuredClone(find<Workload>(built.prod, 'Deployment', 'scorer'));
    scorer.spec.replicas = 'two' as unknown as number;
    expect(() => validateObject(scorer)).toThrow(/Deployment scorer: .*replicas must be integer/);
    const probe = structuredClone(find<Workload>(built.prod, 'Deployment', 'router'));
    delete (container(probe).livenessProbe!.httpGet as { port?: unknown }).port;
    expect(() => validateObject(probe)).toThrow(/httpGet must have required property port/);
    const scaled = structuredClone(find<ScaledObject>(built.prod, 'ScaledObject', 'scorer'));
    delete (scaled.spec as { scaleTargetRef?: unknown }).scaleTargetRef;
    expect(() => validateObject(scaled)).toThrow(/ScaledObject scorer: .*scaleTargetRef/);
    expect(() => validateObject({ apiVersion: 'v1', kind: 'Podd', metadata: { name: 'x' } })).toThrow(/no schema/);
  });

  it.each(OVERLAYS)('%s: every service has a Deployment running its main, with HTTP readiness and liveness probes on a declared port', (overlay) => {
    const byName = new Map(deployments(built[overlay]).map((d) => [d.metadata.name, d]));
    for (const name of SERVICES) {
      const c = container(byName.get(name)!);
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      expect([name, c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path]).toEqual([name, '/readyz', '/healthz']);
      expect(ports.has(String(c.readinessProbe!.httpGet!.port)) && ports.has(String(c.livenessProbe!.httpGet!.port))).toBe(true);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'datashunt' } }, { secretRef: { name: 'datashunt-secrets' } }]);
      // infra/Dockerfile's `pnpm deploy` of the CLI puts each service's build under node_modules/@datashunt.
      expect(c.command).toEqual(['node', `node_modules/@datashunt/${name}/dist/main.js`]);
      expect(existsSync(join(root, '..', 'services', name, 'src', 'main.ts'))).toBe(true);
    }
  });

  it.each(OVERLAYS)('%s: every service gets the heap flags it applies itself (SERVICE_HEAP), with room under its memory limit', (overlay) => {
    expect(Object.keys(SERVICE_HEAP).sort()).toEqual([...SERVICES].sort());
    const byName = new Map(deployments(built[overlay]).map((d) => [d.metadata.name, d]));
    for (const name of SERVICES) {
      const c = container(byName.get(name)!);
      expect([name, c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value]).toEqual([name, nodeOptionsOf(name)]);
      // The old space is most of the heap; the young generation, code and native memory (onnxruntime) need the rest.
      const oldSpaceMi = Number(/--max-old-space-size=(\d+)/.exec(nodeOptionsOf(name))![1]);
      expect([name, oldSpaceMi + 128 <= mebibytes(String(c.resources?.limits?.memory))]).toEqual([name, true]);
    }
  });

  it.each(OVERLAYS)('%s: queue depth comes from one Deployment, and KEDA counts each queue once', (overlay) => {
    const objects = built[overlay];
    const exporters = deployments(objects).filter((d) => container(d).env?.some((e) => e.name === 'METRICS_QUEUE_DEPTH' && e.value === 'true'));
    expect(exporters.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([['dashboard', 1]]);
    const scaled = objects.filter((o) => o.kind === 'ScaledObject') as ScaledObject[];
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(['finalize', 'llm-caller', 'router', 'scorer']);
    for (const s of scaled) {
      expect(find(objects, 'Deployment', s.spec.scaleTargetRef.name)).toBeDefined();
      for (const trigger of s.spec.triggers) {
        expect(trigger.metadata.ignoreNullValues).toBe('false');
        expect(trigger.metadata.query).toMatch(/^sum\(max by \(state\) \(datashunt_queue_jobs\{queue="[a-z-]+", state=~"[a-z|-]+"\}\)\)$/);
      }
    }
  });

  it.each(OVERLAYS)('%s: finalize scales on the runs it is writing, not only those waiting, one pod per FINALIZE_CONCURRENCY runs', (overlay) => {
    const [trigger] = find<ScaledObject>(built[overlay], 'ScaledObject', 'finalize').spec.triggers;
    // A finalize job is active while its run goes on: a trigger blind to active jobs would scale in a pod that is writing runs.
    expect(trigger!.metadata.query).toContain('state=~"active|waiting|prioritized"');
    const configured = (find<K8sObject & { data?: Record<string, string> }>(built[overlay], 'ConfigMap', 'datashunt').data ?? {}).FINALIZE_CONCURRENCY;
    expect(trigger!.metadata.threshold).toBe(configured ?? String(ConfigSchema.shape.FINALIZE_CONCURRENCY.parse(undefined)));
  });

  it.each(OVERLAYS)('%s: the trainer stays at one replica, with no autoscaler to take it to zero', (overlay) => {
    expect(find<Workload>(built[overlay], 'Deployment', 'trainer').spec.replicas).toBe(1);
    expect(built[overlay].filter((o) => o.kind === 'ScaledObject' && (o as ScaledObject).spec.scaleTargetRef.name === 'trainer')).toEqual([]);
  });

  it('asks for a GPU only in the gpu overlay, and only for the scorer', () => {
    const gpuUsers = (overlay: (typeof OVERLAYS)[number]) =>
      deployments(built[overlay]).filter((d) => d.spec.template.spec.containers.some((c) => c.resources?.limits?.['nvidia.com/gpu'] !== undefined)).map((d) => d.metadata.name);
    expect(gpuUsers('dev')).toEqual([]);
    expect(gpuUsers('prod')).toEqual([]);
    expect(gpuUsers('gpu')).toEqual(['scorer']);
    const scorer = find<Workload>(built.gpu, 'Deployment', 'scorer');
    expect(container(scorer).resources!.limits!['nvidia.com/gpu']).toBe(1);
    expect(scorer.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(container(scorer).env).toContainEqual({ name: 'SCORER_EXECUTION_PROVIDERS', value: 'cuda,cpu' });
    expect(container(scorer).image).toBe('datashunt-gpu:latest');
    expect(container(find<Workload>(built.prod, 'Deployment', 'scorer')).env?.map((e) => e.name)).not.toContain('SCORER_EXECUTION_PROVIDERS');
  });

  it('dev: Redis keeps an AOF and refuses writes when full; MinIO announces manifests to ingest with the webhook secret', () => {
    const objects = built.dev;
    const redisConf = (find(objects, 'ConfigMap', 'redis-config') as K8sObject & { data: Record<string, string> }).data['redis.conf']!;
    expect(redisConf).toMatch(/^appendonly yes$/m);
    expect(redisConf).toMatch(/^maxmemory-policy noeviction$/m);
    const secrets = (find(objects, 'Secret', 'datashunt-secrets') as K8sObject & { stringData: Record<string, string> }).stringData;
    const config = (find(objects, 'ConfigMap', 'datashunt') as K8sObject & { data: Record<string, string> }).data;
    expect(secrets.REDIS_URL).toBe('redis://redis:6379');
    expect(find(objects, 'Service', 'redis')).toBeDefined();
    expect(config.S3_ENDPOINT).toBe('http://minio:9000');
    const env = new Map((container(find<Workload>(objects, 'Deployment', 'minio')).env ?? []).map((e) => [e.name, e]));
    expect(env.get('MINIO_NOTIFY_WEBHOOK_ENDPOINT_DATASHUNT')?.value).toBe('http://ingest:8081/notifications');
    expect(env.get('MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_DATASHUNT')?.valueFrom).toEqual({ secretKeyRef: { name: 'datashunt-secrets', key: 'WEBHOOK_SECRET' } });
    const ingestService = find(objects, 'Service', 'ingest') as K8sObject & { spec: { ports: Array<{ port: number }> } };
    expect(ingestService.spec.ports[0]!.port).toBe(8081);
    const setup = JSON.stringify(find(objects, 'Job', 'minio-setup'));
    expect(setup).toContain('arn:minio:sqs::DATASHUNT:webhook --event put --prefix');
  });

  it('prod: Redis and S3 are external, from the config and the secret', () => {
    const objects = built.prod;
    expect(objects.filter((o) => ['redis', 'minio'].includes(o.metadata.name))).toEqual([]);
    const config = (find(objects, 'ConfigMap', 'datashunt') as K8sObject & { data: Record<string, string> }).data;
    expect(config.S3_ENDPOINT).toBeUndefined();
    expect((find(objects, 'Secret', 'datashunt-secrets') as K8sObject & { stringData: Record<string, string> }).stringData.REDIS_URL).toMatch(/^rediss:\/\//);
  });
});
