import type { DatasetRow, DeltaSource, GuaranteeSpec, InputRange, RejectRecord, ResultRecord, RunManifest } from '@datashunt/contracts';
import type { TallyState } from '@datashunt/algorithms';
import type { ImageShape, InputRecord, ObjectFormat } from '@datashunt/formats';

type RowId = DatasetRow['id'];

/** Input columns a run carries into its results (output.include), as JSON values. */
export type CarriedColumns = Record<string, unknown>;

/** A valid dataset row of a shard, with its line (record) number counted from the shard's first. */
export type ShardRow = DatasetRow & { line: number; columns?: CarriedColumns };

/** One record of a shard as read from the input: a row, or why it is refused. */
export type ShardRecord = { row: ShardRow } | { record: InputRecord; problem: string; id?: RowId };

/** What the llm-caller needs of a row the router may send to the large model, written by the scorer. */
export interface HardRow {
  line: number;
  /** The row's input as the large model sees it (text, or pixel values of an image task). */
  input: DatasetRow['input'];
  /** Small model class probabilities, in the manifest's label order; they build the PP prompt. */
  probs: number[];
  /** The answer to fall back on (small or learnable, whichever is more confident). */
  fallbackLabel: string;
}

/** A shard's part's tally for the report, and how many lines (records) its range held. */
export interface PartSummary {
  tally: TallyState;
  lines: number;
}

/** A shard's outcome as the router writes it: each shard row ends as exactly one result or reject. */
export interface ShardPart {
  results: ResultRecord[];
  rejects: RejectRecord[];
}

/** What ingest snapshots at the start of a run: the validated manifest and where it came from. */
export interface RunSnapshot {
  runId: string;
  manifestKey: string;
  manifestBucket: string;
  manifestEtag: string;
  manifest: RunManifest;
  /** Where manifest.delta came from; absent in snapshots written before delta targets (a number from the manifest). */
  deltaSource?: DeltaSource;
  /**
   * A guarantee run: its threshold is chosen after scoring, so manifest.delta is only a placeholder and
   * the threshold is in the run's guarantee object (GuaranteeOutcome).
   */
  guarantee?: GuaranteeSpec;
  input: { bucket: string; key: string };
  /** The input's ETag when the run was planned: a resume refuses an input that changed since. */
  inputEtag?: string;
  /** 0 for the first attempt, +1 per resume (see attemptParts). */
  attempt?: number;
  createdAt: string;
}

/** One object of a run's input, as planning found it. */
export interface InputObject {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  format: ObjectFormat;
  /** Uncompressed JSONL: bytes per line over its first bytes, which sizes its byte ranges. */
  bytesPerLine?: number;
  /** Parquet: rows per row group, which its ranges group. */
  rowGroups?: number[];
}

/**
 * How ingest reads a run's input, fixed when the run is planned (runs/<id>/inputs.json), so that a
 * retried plan or a resume reads the same objects, in the same order, the same way.
 */
export interface RunInputs {
  /** input.uri named a prefix: rejects then name each row's object. */
  isPrefix: boolean;
  objects: InputObject[];
  /** The square size images are decoded to (input.fields.image). */
  image?: ImageShape;
}

/** Ingest's plan of the run's shards (runs/<id>/state.json): shard i reads ranges[i] of the input. */
export interface RunPlan {
  shards: number;
  ranges: InputRange[];
}

/** What a guarantee run's sampling phase chose (runKeys().guarantee), read by finalize for the report. */
export interface GuaranteeOutcome {
  source: Extract<DeltaSource, { kind: 'guarantee' }>;
  /** Rows whose large answers were bought, by shard and line in it: they keep those answers whatever the threshold. */
  sampled: Array<{ shard: number; line: number }>;
}
