import { ModelRegistry, Scorer } from '@datashunt/small-models';
import type { ModelRole } from '@datashunt/contracts';
import type { Runtime } from '@datashunt/runtime';

/**
 * Keeps loaded ONNX sessions per model version. Which version is current is asked of the registry
 * before every shard, so a promoted version is picked up without a restart, and a shard is scored by
 * one version from start to end.
 */
export class ScorerCache {
  private readonly loaded = new Map<string, Promise<Scorer>>();
  readonly registry: ModelRegistry;

  constructor(private readonly runtime: Runtime) {
    this.registry = new ModelRegistry(runtime.s3, runtime.bucket);
  }

  async resolve(name: string, role: ModelRole, pinned?: string): Promise<Scorer | undefined> {
    const version = pinned ?? (await this.registry.current(name, role));
    if (!version) return undefined;
    return this.load(name, role, version);
  }

  private load(name: string, role: ModelRole, version: string): Promise<Scorer> {
    const key = `${name}@${version}`;
    let scorer = this.loaded.get(key);
    if (!scorer) {
      scorer = Scorer.load(this.registry, name, version, {
        executionProviders: this.runtime.config.SCORER_EXECUTION_PROVIDERS,
        batchSize: this.runtime.config.SCORER_BATCH_SIZE,
        logger: this.runtime.logger,
      });
      scorer.catch(() => this.loaded.delete(key));
      this.loaded.set(key, scorer);
      void this.evictOthers(name, role, key);
    }
    return scorer;
  }

  /** Releases superseded versions of the same model and role once a new one is loading. */
  private async evictOthers(name: string, role: ModelRole, keep: string): Promise<void> {
    for (const [key, pending] of this.loaded) {
      if (key === keep || !key.startsWith(`${name}@`)) continue;
      const scorer = await pending.catch(() => undefined);
      if (scorer?.meta.role !== role) continue;
      this.loaded.delete(key);
      await scorer.release();
    }
  }

  async close(): Promise<void> {
    for (const pending of this.loaded.values()) await (await pending.catch(() => undefined))?.release();
    this.loaded.clear();
  }
}
