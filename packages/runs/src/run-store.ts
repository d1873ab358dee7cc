import type { S3Client } from '@aws-sdk/client-s3';
import { runKeys, type InputRange, type RejectRecord, type ResultRecord } from '@datashunt/contracts';
import { mappedColumns, mapRecord, rowMapping, type InputRecord, type PendingReject } from '@datashunt/formats';
import { getBytes, getJson, getJsonIfExists, isNotFound, putBytes, putJson, readAllJsonl, readJsonl, readLines, toJsonl } from '@datashunt/storage';
import { decodeScoredRows, encodeScoredRows, type CompactScoredRow } from './compact-scored.js';
import { readRangeRecords } from './input-ranges.js';
import { PromiseCache } from './promise-cache.js';
import { stagedRecord } from './staged-records.js';
import type { GuaranteeOutcome, HardRow, PartSummary, RunInputs, RunPlan, RunSnapshot, ShardPart, ShardRecord } from './records.js';

/**
 * Reads and writes a run's objects in the results bucket. Snapshots are immutable once written, so
 * each process caches them by run id.
 */
export class RunStore {
  private readonly snapshots = new PromiseCache<RunSnapshot>(256);
  private readonly inputsCache = new PromiseCache<RunInputs>(256);
  // Two shards of hard rows: concurrent calls of one process mostly come from the same shards, and
  // long texts make each one large (measured in docs/benchmarks.md, "Hard path").
  private readonly hardRowShards = new PromiseCache<Map<number, HardRow>>(2);

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

  /** The snapshot as S3 holds it now, bypassing the cache (ingest, which may rewrite it on a resume). */
  freshSnapshot(outputPrefix: string, runId: string): Promise<RunSnapshot | undefined> {
    return getJsonIfExists<RunSnapshot>(this.s3, this.ref(this.keys(outputPrefix, runId).manifest));
  }

  snapshot(outputPrefix: string, runId: string): Promise<RunSnapshot> {
    return this.snapshots.get(runId, () => getJson<RunSnapshot>(this.s3, this.ref(this.keys(outputPrefix, runId).manifest)));
  }

  async saveInputs(outputPrefix: string, runId: string, inputs: RunInputs): Promise<void> {
    await putJson(this.s3, this.ref(this.keys(outputPrefix, runId).inputs), inputs);
  }

  /** Undefined for runs planned before inputs were recorded (one JSONL object: the snapshot's input). */
  inputs(outputPrefix: string, runId: string): Promise<RunInputs | undefined> {
    return getJsonIfExists<RunInputs>(this.s3, this.ref(this.keys(outputPrefix, runId).inputs));
  }

  async savePlan(outputPrefix: string, runId: string, plan: RunPlan): Promise<void> {
    await putJson(this.s3, this.ref(this.keys(outputPrefix, runId).state), plan);
  }

  plan(outputPrefix: string, runId: string): Promise<RunPlan> {
    return getJson<RunPlan>(this.s3, this.ref(this.keys(outputPrefix, runId).state));
  }

  planIfExists(outputPrefix: string, runId: string): Promise<RunPlan | undefined> {
    return getJsonIfExists<RunPlan>(this.s3, this.ref(this.keys(outputPrefix, runId).state));
  }

  /** The run's inputs as planned, cached per process like snapshots (they never change for a run). */
  plannedInputs(outputPrefix: string, runId: string): Promise<RunInputs> {
    return this.inputsCache.get(runId, async () => {
      const inputs = await this.inputs(outputPrefix, runId);
      if (!inputs) throw new Error(`run ${runId} has no inputs.json under ${outputPrefix}`);
      return inputs;
    });
  }

  /**
   * One shard's records straight from the input, read through the run's row mapping: each a row, or a
   * pending reject saying why not (placed in the whole input by finalize). Numbers count from the
   * range's first line.
   */
  async *readShardRows(outputPrefix: string, runId: string, range: InputRange): AsyncGenerator<ShardRecord> {
    const [{ manifest }, inputs] = await Promise.all([this.snapshot(outputPrefix, runId), this.plannedInputs(outputPrefix, runId)]);
    const mapping = rowMapping(manifest, inputs.image);
    const object = inputs.objects[range.object];
    if (!object) throw new Error(`run ${runId}: its plan names input object ${range.object}, but inputs.json lists ${inputs.objects.length}`);
    const records = range.kind === 'staged' ? this.stagedRecords(outputPrefix, runId, range) : readRangeRecords(this.s3, object, range, mappedColumns(mapping));
    for await (const record of records) {
      const mapped = record.problem === undefined ? mapRecord(record.value, mapping) : { problem: record.problem };
      if ('problem' in mapped) yield { record, problem: mapped.problem, ...(mapped.id === undefined ? {} : { id: mapped.id }) };
      else yield { row: { line: record.number, ...mapped.row, ...(mapped.columns ? { columns: mapped.columns } : {}) } };
    }
  }

  /** A shard of an object ingest staged (one that cannot be cut by bytes), as stagedLine lines. */
  writeStaged(outputPrefix: string, runId: string, object: number, part: number, lines: string[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).staged(object, part)), `${lines.join('\n')}\n`);
  }

  private async *stagedRecords(outputPrefix: string, runId: string, range: Extract<InputRange, { kind: 'staged' }>): AsyncGenerator<InputRecord> {
    for await (const { text } of readLines(this.s3, this.ref(this.keys(outputPrefix, runId).staged(range.object, range.part)))) yield stagedRecord(text, range.firstRecord);
  }

  writeScored(outputPrefix: string, runId: string, shard: number, rows: CompactScoredRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard)), encodeScoredRows(rows));
  }

  async readScored(outputPrefix: string, runId: string, shard: number): Promise<CompactScoredRow[]> {
    return decodeScoredRows(await getBytes(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard))));
  }

  /** A shard's refused records, as the scorer found them (placed in the whole input by finalize). */
  writeShardRejects(outputPrefix: string, runId: string, shard: number, rejects: PendingReject[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).shardRejects(shard)), toJsonl(rejects));
  }

  /** Empty when the shard was never read (its scorer failed for good). */
  async readShardRejects(outputPrefix: string, runId: string, shard: number): Promise<PendingReject[]> {
    try {
      return await readAllJsonl<PendingReject>(this.s3, this.ref(this.keys(outputPrefix, runId).shardRejects(shard)));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  writeHardRows(outputPrefix: string, runId: string, shard: number, rows: HardRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).hardRows(shard)), toJsonl(rows));
  }

  /**
   * One hard row of a shard (a row the router may send to the large model: the scorer writes them); the
   * shard's hard rows are read once per process while they are in use.
   */
  hardRow(outputPrefix: string, runId: string, shard: number, line: number): Promise<HardRow | undefined> {
    return this.rowOf(this.keys(outputPrefix, runId).hardRows(shard), line);
  }

  /** Every row of a shard the router may send to the large model, by line. */
  shardHardRows(outputPrefix: string, runId: string, shard: number): Promise<Map<number, HardRow>> {
    return this.rowsOf(this.keys(outputPrefix, runId).hardRows(shard));
  }

  /**
   * The rows the router sent to the large model in batch mode: exactly those (the hard-rows object may
   * hold more, as a guarantee run's), which its llm-batch jobs ask.
   */
  writeBatchRows(outputPrefix: string, runId: string, shard: number, rows: HardRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).batchRows(shard)), toJsonl(rows));
  }

  /** A shard's batch rows with lines from..to (inclusive), in line order: what one llm-batch job asks. */
  async batchRowsBetween(outputPrefix: string, runId: string, shard: number, fromLine: number, toLine: number): Promise<HardRow[]> {
    const rows = await this.rowsOf(this.keys(outputPrefix, runId).batchRows(shard));
    return [...rows.values()].filter((row) => row.line >= fromLine && row.line <= toLine).sort((a, b) => a.line - b.line);
  }

  private async rowOf(key: string, line: number): Promise<HardRow | undefined> {
    return (await this.rowsOf(key)).get(line);
  }

  private rowsOf(key: string): Promise<Map<number, HardRow>> {
    return this.hardRowShards.get(key, async () => {
      const byLine = new Map<number, HardRow>();
      for await (const row of readJsonl<HardRow>(this.s3, this.ref(key))) byLine.set(row.line, row);
      return byLine;
    });
  }

  saveGuarantee(outputPrefix: string, runId: string, outcome: GuaranteeOutcome) {
    return putJson(this.s3, this.ref(this.keys(outputPrefix, runId).guarantee), outcome);
  }

  /** Absent until the run's sampling phase has chosen its threshold. */
  guarantee(outputPrefix: string, runId: string): Promise<GuaranteeOutcome | undefined> {
    return getJsonIfExists<GuaranteeOutcome>(this.s3, this.ref(this.keys(outputPrefix, runId).guarantee));
  }

  /** The run's durable answer log (see LargeModelClient): one small object per paid answer. */
  answerLog(outputPrefix: string, runId: string) {
    const keys = this.keys(outputPrefix, runId);
    return {
      get: <T>(hash: string) => getJsonIfExists<T>(this.s3, this.ref(keys.answer(hash))),
      put: (hash: string, answer: unknown) => putJson(this.s3, this.ref(keys.answer(hash)), answer),
    };
  }

  /**
   * A shard's results and rejects, in their final line format but for line numbers (counted from the
   * shard's first line: finalize adds the lines before it), plus its tally and line count.
   */
  async writePart(outputPrefix: string, runId: string, shard: number, part: ShardPart, summary: PartSummary): Promise<void> {
    const keys = this.keys(outputPrefix, runId);
    await Promise.all([
      putBytes(this.s3, this.ref(keys.part(shard)), toJsonl(part.results)),
      putBytes(this.s3, this.ref(keys.partRejects(shard)), toJsonl(part.rejects)),
    ]);
    // Written last: a tally present means the shard's part is complete.
    await putJson(this.s3, this.ref(keys.partTally(shard)), summary);
  }

  /** A shard's part as writePart left it: the results as bytes (finalize renumbers them without parsing), the rejects and the summary. */
  async readPart(outputPrefix: string, runId: string, shard: number): Promise<{ results: Buffer; rejects: RejectRecord[]; summary: PartSummary }> {
    const keys = this.keys(outputPrefix, runId);
    const [results, rejects, summary] = await Promise.all([
      getBytes(this.s3, this.ref(keys.part(shard))),
      readAllJsonl<RejectRecord>(this.s3, this.ref(keys.partRejects(shard))),
      this.partSummary(outputPrefix, runId, shard),
    ]);
    return { results, rejects, summary };
  }

  readPartResults(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ResultRecord> {
    return readJsonl<ResultRecord>(this.s3, this.ref(this.keys(outputPrefix, runId).part(shard)));
  }

  partSummary(outputPrefix: string, runId: string, shard: number): Promise<PartSummary> {
    return getJson<PartSummary>(this.s3, this.ref(this.keys(outputPrefix, runId).partTally(shard)));
  }

  /**
   * A shard's part when it is finished and needs no redoing on a resume: its tally exists and none of
   * its rows fell back because the endpoint refused the run or the run was cancelled.
   */
  async finishedPart(outputPrefix: string, runId: string, shard: number): Promise<PartSummary | undefined> {
    const summary = await getJsonIfExists<PartSummary>(this.s3, this.ref(this.keys(outputPrefix, runId).partTally(shard)));
    const reasons = summary?.tally.fallbackReasons;
    return summary && !reasons!.llm_error && !reasons!.cancelled ? summary : undefined;
  }
}
