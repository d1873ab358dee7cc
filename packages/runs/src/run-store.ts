import type { S3Client } from '@aws-sdk/client-s3';
import { runKeys, type DatasetRow, type ResultRecord } from '@datashunt/contracts';
import { getJson, getJsonIfExists, putBytes, putJson, readJsonl, toJsonl } from '@datashunt/storage';
import type { TallyState } from '@datashunt/algorithms';
import { PromiseCache } from './promise-cache.js';
import type { CarriedColumns, GuaranteeOutcome, HardRow, RunInputs, RunPlan, RunSnapshot, ScoredRow, ShardPart, ShardRow, ValidatedLine } from './records.js';

/**
 * Reads and writes a run's objects in the results bucket. Snapshots are immutable once written, so
 * each process caches them by run id.
 */
export class RunStore {
  private readonly snapshots = new PromiseCache<RunSnapshot>(256);
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

  /**
   * Stores validated rows as JSON text (`{"line":N,"row":<the row>,"columns":{...}}`), so ingest never
   * re-serialises a line that already is one; readers get plain ShardRows.
   */
  writeShard(outputPrefix: string, runId: string, shard: number, lines: ValidatedLine[]) {
    let body = '';
    for (const { line, text, columns } of lines) body += columns === undefined ? `{"line":${line},"row":${text}}\n` : `{"line":${line},"row":${text},"columns":${columns}}\n`;
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).shard(shard)), body);
  }

  async *readShard(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ShardRow> {
    type Stored = { line: number; row: DatasetRow; columns?: CarriedColumns };
    for await (const { line, row, columns } of readJsonl<Stored>(this.s3, this.ref(this.keys(outputPrefix, runId).shard(shard)))) {
      yield { line, id: row.id, input: row.input, ...(row.label !== undefined ? { label: row.label } : {}), ...(columns ? { columns } : {}) };
    }
  }

  writeScored(outputPrefix: string, runId: string, shard: number, rows: ScoredRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard)), toJsonl(rows));
  }

  readScored(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ScoredRow> {
    return readJsonl<ScoredRow>(this.s3, this.ref(this.keys(outputPrefix, runId).scored(shard)));
  }

  writeHardRows(outputPrefix: string, runId: string, shard: number, rows: HardRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).hardRows(shard)), toJsonl(rows));
  }

  /** One hard row of a shard; the shard's hard rows are read once per process while they are in use. */
  hardRow(outputPrefix: string, runId: string, shard: number, line: number): Promise<HardRow | undefined> {
    return this.rowOf(this.keys(outputPrefix, runId).hardRows(shard), line);
  }

  /** A shard's hard rows with lines from..to (inclusive), in line order: what one llm-batch job asks. */
  async hardRowsBetween(outputPrefix: string, runId: string, shard: number, fromLine: number, toLine: number): Promise<HardRow[]> {
    const rows = await this.rowsOf(this.keys(outputPrefix, runId).hardRows(shard));
    return [...rows.values()].filter((row) => row.line >= fromLine && row.line <= toLine).sort((a, b) => a.line - b.line);
  }

  /** A guarantee run's sampling round: its rows, as hard rows, in an object of their own. */
  writeSampleRows(outputPrefix: string, runId: string, round: number, rows: HardRow[]) {
    return putBytes(this.s3, this.ref(this.keys(outputPrefix, runId).sampleRows(round)), toJsonl(rows));
  }

  sampleRow(outputPrefix: string, runId: string, round: number, line: number): Promise<HardRow | undefined> {
    return this.rowOf(this.keys(outputPrefix, runId).sampleRows(round), line);
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

  /** A shard's results and rejects, already in their final line format, plus its tally for the report. */
  async writePart(outputPrefix: string, runId: string, shard: number, part: ShardPart, tally: TallyState): Promise<void> {
    const keys = this.keys(outputPrefix, runId);
    await Promise.all([
      putBytes(this.s3, this.ref(keys.part(shard)), toJsonl(part.results)),
      putBytes(this.s3, this.ref(keys.partRejects(shard)), toJsonl(part.rejects)),
    ]);
    // Written last: a tally present means the shard's part is complete.
    await putJson(this.s3, this.ref(keys.partTally(shard)), tally);
  }

  readPartResults(outputPrefix: string, runId: string, shard: number): AsyncGenerator<ResultRecord> {
    return readJsonl<ResultRecord>(this.s3, this.ref(this.keys(outputPrefix, runId).part(shard)));
  }

  partTally(outputPrefix: string, runId: string, shard: number): Promise<TallyState> {
    return getJson<TallyState>(this.s3, this.ref(this.keys(outputPrefix, runId).partTally(shard)));
  }

  /**
   * Whether a shard's part is finished and needs no redoing on a resume: its tally exists and none of
   * its rows fell back because the endpoint refused the run or the run was cancelled.
   */
  async partIsFinal(outputPrefix: string, runId: string, shard: number): Promise<boolean> {
    const tally = await getJsonIfExists<TallyState>(this.s3, this.ref(this.keys(outputPrefix, runId).partTally(shard)));
    return tally !== undefined && !tally.fallbackReasons.llm_error && !tally.fallbackReasons.cancelled;
  }
}
