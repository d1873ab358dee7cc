import type { S3Client } from '@aws-sdk/client-s3';
import { modelKeys, ModelMetaSchema, type ModelMeta, type ModelRole } from '@datashunt/contracts';
import { getBytes, getJsonIfExists, headObject, listObjects, putBytes, putJson } from '@datashunt/storage';
import { randomBytes } from 'node:crypto';
import { RegistryError } from './errors.js';
import { openModel } from './onnx-session.js';

export interface RegisterArgs {
  onnx: Uint8Array;
  meta: Omit<ModelMeta, 'version' | 'createdAt'> & { version?: string };
  /** Point the meta's role at the new version once it is fully written. */
  promote?: boolean;
  /** Files stored next to model.onnx (a vocabulary, the training report). */
  extraFiles?: Record<string, Uint8Array>;
}

export interface ModelPointer {
  version: string;
  promotedAt: string;
}

export interface RegistryEntry {
  meta: ModelMeta;
  /** Roles whose pointer names this version. */
  current: ModelRole[];
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Models in S3 under models/<name>/<version>/ (model.onnx, model.json, extra files) with one pointer per
 * role. Writes are ordered so that readers never see half a model: the ONNX and extra files first, then
 * model.json (a version exists once its meta does), and the pointer last.
 */
export class ModelRegistry {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** Checks the model against its meta (loads it, signature, probe run) and stores it; nothing is written when a check fails. */
  async register(args: RegisterArgs): Promise<ModelMeta> {
    const createdAt = new Date();
    const parsed = ModelMetaSchema.safeParse({ ...args.meta, version: args.meta.version ?? newVersion(createdAt), createdAt: createdAt.toISOString() });
    if (!parsed.success) throw new RegistryError(`invalid model meta: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const meta = parsed.data;
    for (const [what, value] of [['name', meta.name], ['version', meta.version]] as const) {
      if (!SAFE_NAME.test(value) || value === 'pointers') throw new RegistryError(`model ${what} "${value}" must be letters, digits, '.', '_' or '-'`);
    }
    const extraFiles = args.extraFiles ?? {};
    for (const file of Object.keys(extraFiles)) {
      if (!SAFE_NAME.test(file) || ['model.onnx', 'model.json', 'calibration.json'].includes(file)) throw new RegistryError(`extra file name "${file}" is not allowed`);
    }
    const vocab = meta.featurizer.kind === 'vocab-tokens' ? extraFiles[meta.featurizer.vocabKey] : undefined;
    if (meta.featurizer.kind === 'vocab-tokens' && !vocab) throw new RegistryError(`the vocab-tokens featurizer needs its vocabulary "${meta.featurizer.vocabKey}" among the extra files`);
    if (meta.parentVersion !== null && !(await this.exists(meta.name, meta.parentVersion))) {
      throw new RegistryError(`parent version ${meta.parentVersion} of model ${meta.name} is not registered`);
    }
    const opened = await openModel(args.onnx, meta, { executionProviders: ['cpu'] }, vocab && Buffer.from(vocab).toString('utf8'));
    await opened.session.release();
    if (await this.exists(meta.name, meta.version)) throw new RegistryError(`model ${meta.name} version ${meta.version} is already registered`);

    const keys = modelKeys(meta.name).version(meta.version);
    await putBytes(this.s3, this.ref(keys.onnx), Buffer.from(args.onnx), 'application/octet-stream');
    for (const [file, bytes] of Object.entries(extraFiles)) await putBytes(this.s3, this.ref(keys.extra(file)), Buffer.from(bytes));
    await putJson(this.s3, this.ref(keys.meta), meta);
    if (args.promote) await this.promote(meta.name, meta.role, meta.version);
    return meta;
  }

  /** The version the role's pointer names, if any. */
  async current(name: string, role: ModelRole): Promise<string | undefined> {
    return (await getJsonIfExists<ModelPointer>(this.s3, this.ref(modelKeys(name).pointer(role))))?.version;
  }

  /** Points `role` at a registered version; scorers pick it up on their next pointer check. */
  async promote(name: string, role: ModelRole, version: string): Promise<void> {
    if (!(await this.exists(name, version))) throw new RegistryError(`cannot promote ${name} ${version}: no such version`);
    const pointer: ModelPointer = { version, promotedAt: new Date().toISOString() };
    await putJson(this.s3, this.ref(modelKeys(name).pointer(role)), pointer);
  }

  async getMeta(name: string, version: string): Promise<ModelMeta> {
    const raw = await getJsonIfExists(this.s3, this.ref(modelKeys(name).version(version).meta));
    if (raw === undefined) throw new RegistryError(`model ${name} version ${version} is not registered`);
    return ModelMetaSchema.parse(raw);
  }

  async get(name: string, version: string): Promise<{ meta: ModelMeta; onnx: Uint8Array }> {
    const meta = await this.getMeta(name, version);
    const onnx = await getBytes(this.s3, this.ref(modelKeys(name).version(version).onnx));
    return { meta, onnx: new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.byteLength) };
  }

  async getExtra(name: string, version: string, file: string): Promise<Buffer> {
    return getBytes(this.s3, this.ref(modelKeys(name).version(version).extra(file)));
  }

  /** Every registered version (of one model, or of all), oldest first per model, with the roles pointing at it. */
  async list(name?: string): Promise<RegistryEntry[]> {
    const root = name ? modelKeys(name).root : 'models/';
    const metas: ModelMeta[] = [];
    const pointers = new Map<string, ModelRole[]>();
    for await (const object of listObjects(this.s3, this.bucket, root)) {
      const pointer = /^models\/([^/]+)\/pointers\/(specific|learnable)\.json$/.exec(object.key);
      if (pointer) {
        const target = await this.current(pointer[1]!, pointer[2] as ModelRole);
        if (target) pointers.set(`${pointer[1]}/${target}`, [...(pointers.get(`${pointer[1]}/${target}`) ?? []), pointer[2] as ModelRole]);
        continue;
      }
      const version = /^models\/([^/]+)\/([^/]+)\/model\.json$/.exec(object.key);
      if (version) metas.push(await this.getMeta(version[1]!, version[2]!));
    }
    metas.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
    return metas.map((meta) => ({ meta, current: pointers.get(`${meta.name}/${meta.version}`) ?? [] }));
  }

  private async exists(name: string, version: string): Promise<boolean> {
    return (await headObject(this.s3, this.ref(modelKeys(name).version(version).meta))) !== undefined;
  }

  private ref(key: string) {
    return { bucket: this.bucket, key };
  }
}

/** vYYYYMMDDTHHMMSSmmmZ-<6 hex>: sorts lexically by creation time; the suffix keeps concurrent ones apart. */
export function newVersion(at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `v${stamp}-${randomBytes(3).toString('hex')}`;
}
