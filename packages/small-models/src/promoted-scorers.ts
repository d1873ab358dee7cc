import type { ModelRole } from '@datashunt/contracts';
import type { ModelRegistry } from './registry.js';
import { Scorer, type ScorerOptions } from './scorer.js';

/** A scorer held for the duration of one shard; release it when the shard is done. */
export interface ScorerLease {
  scorer: Scorer;
  release(): Promise<void>;
}

interface Slot {
  scorer: Scorer;
  leases: number;
  retired: boolean;
}

/**
 * The currently promoted version of each (model, role), loaded on demand. acquire() checks the pointer
 * (at most every `refreshMs`) and loads a newly promoted version without a restart; a shard keeps the
 * scorer it acquired, so it is scored by one version, and a replaced version is released when its last
 * lease ends.
 */
export class PromotedScorers {
  private readonly slots = new Map<string, { slot: Slot; checkedAt: number }>();
  private readonly loading = new Map<string, Promise<Slot | undefined>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: ScorerOptions & { refreshMs?: number },
  ) {}

  /**
   * The promoted version's scorer, or undefined when no version of the role was promoted. A pinned
   * version (a manifest may name one) is held in a slot of its own and never replaced.
   */
  async acquire(name: string, role: ModelRole, pinnedVersion?: string): Promise<ScorerLease | undefined> {
    const key = pinnedVersion ? `${name}@${pinnedVersion}` : `${name}/${role}`;
    const held = this.slots.get(key);
    const fresh = held && (pinnedVersion !== undefined || Date.now() - held.checkedAt < (this.options.refreshMs ?? 0));
    const slot = fresh ? held.slot : await this.refresh(key, name, role, pinnedVersion);
    if (!slot) return undefined;
    slot.leases += 1;
    let released = false;
    return {
      scorer: slot.scorer,
      release: async () => {
        if (released) return;
        released = true;
        slot.leases -= 1;
        if (slot.retired && slot.leases === 0) await slot.scorer.release();
      },
    };
  }

  /** Releases every loaded scorer not leased; leased ones are released when their lease ends. */
  async close(): Promise<void> {
    for (const { slot } of this.slots.values()) await this.retire(slot);
    this.slots.clear();
  }

  private refresh(key: string, name: string, role: ModelRole, pinnedVersion: string | undefined): Promise<Slot | undefined> {
    // Concurrent acquires of one key share one pointer check and one load.
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(key, name, role, pinnedVersion).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(key: string, name: string, role: ModelRole, pinnedVersion: string | undefined): Promise<Slot | undefined> {
    const version = pinnedVersion ?? (await this.registry.current(name, role));
    const held = this.slots.get(key);
    if (held && held.slot.scorer.version === version) {
      held.checkedAt = Date.now();
      return held.slot;
    }
    if (!version) return undefined;
    const slot: Slot = { scorer: await Scorer.load(this.registry, name, version, this.options), leases: 0, retired: false };
    this.slots.set(key, { slot, checkedAt: Date.now() });
    if (held) {
      this.options.logger?.info({ model: name, role, from: held.slot.scorer.version, to: version }, 'promoted small model loaded');
      await this.retire(held.slot);
    }
    return slot;
  }

  private async retire(slot: Slot): Promise<void> {
    slot.retired = true;
    if (slot.leases === 0) await slot.scorer.release();
  }
}
