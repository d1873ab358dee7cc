import type { S3Client } from '@aws-sdk/client-s3';
import { runKeys } from '@datashunt/contracts';
import { getJson, putBytes, putJson, readJsonl, toJsonl } from '@datashunt/storage';
import type { PartRecord, RunPlan, RunSnapshot, ScoredRow, ShardRow } from './records.js';

/**
 * Reads and writes a run's objects in the results bucket. Snapshots are immutable once written, so
 * each process caches them by run id.
 */
export class RunStore {
  private readonly snapshots = new Map<string, Promise<RunSnapshot>>();

  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  keys(outputPrefix: string, runId: string) {
    return runKeys(outputPrefix, runId);
  }

  ref(key: string) {
    return { bucket: this.bucket, key };
  }

  async saveSnapshot(snapshot: RunSnapshot): Promise<void> {
    await putJson(this.s3, this.ref(this.keys(snapshot.manifest.output.prefix, snapshot.runId).manifest), snapshot);
  }

  snapshot(outputPrefix: string, runId: string): Promise<RunSnapshot> {
    let pending = this.snapshots.get(runId);
    if (!pending) {
      pending = getJson<RunSnapshot>(this.s3, this.ref(this.keys(outputPrefix, runId).manifest));
      pending.catch(() => this.snapshots.delete(runId));
      this.snapshots.set(runId, pending);
      if (this.snapshots.size > 256) this.snapshots.delete(this.snapshots.keys().next().value!);
    }
    return pending;
  }

  async savePlan(outputPrefix: string, runId: string, plan: RunPlan): Promise<void> {
    await putJson(this.s3, this.ref(this.keys(outputPrefix, runId).state), plan);
  }

  plan(outputPrefix: string, runId: string): Promise<RunPlan> {
    return getJson<RunPlan>(this.s3, this.ref(this.keys(outputPrefix, runId).state));
  }

  writeShard(outputPrefix: string, runId: string, shard: number, rows: ShardRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).shard(shard)), toJsonl(rows));
  }

  readShard(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ShardRow> {
    return readJsonl<ShardRow>(this.s3, this.ref(this.keys(outputPrefix, runId).shard(shard)));
  }

  writeScored(outputPrefix: string, runId: string, shard: number, rows: ScoredRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard)), toJsonl(rows));
  }

  readScored(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ScoredRow> {
    return readJsonl<ScoredRow>(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard)));
  }

  writePart(outputPrefix: string, runId: string, shard: number, records: PartRecord[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).part(shard)), toJsonl(records));
  }

  readPart(outputPrefix: string, runId: string, shard: number): AsyncGenerator<PartRecord> {
    return readJsonl<PartRecord>(this.s3, this.ref(this.keys(outputPrefix, runId).part(shard)));
  }
}
