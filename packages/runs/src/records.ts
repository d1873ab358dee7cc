import type { DatasetRow, DeltaSource, GuaranteeSpec, RejectRecord, ResultRecord, RunManifest } from '@datashunt/contracts';
import type { ImageShape, ObjectFormat } from '@datashunt/formats';

type RowId = DatasetRow['id'];

/** Input columns a run carries into its results (output.include), as JSON values. */
export type CarriedColumns = Record<string, unknown>;

/** A valid dataset row as ingest stored it in a shard, with its line (row number) in the input. */
export type ShardRow = DatasetRow & { line: number; columns?: CarriedColumns };

/**
 * A dataset row that passed validation, as JSON text: the line as it came when it already is one
 * (JSONL with the default field names), else the row rebuilt from the mapped fields.
 */
export interface ValidatedLine {
  line: number;
  text: string;
  /** The carried columns, as JSON text. */
  columns?: string;
}

/**
 * The scorer's output for one shard row: class probabilities of each small model, or why it could not
 * score. It carries the row's id and gold label so the router needs the inputs only for hard rows.
 */
export type ScoredRow =
  | { line: number; id: RowId; gold?: string; p1: number[]; p2: number[] | null; columns?: CarriedColumns }
  | { line: number; id: RowId; reject: string };

/** What the llm-caller needs of a hard row, written by the router next to the shard. */
export interface HardRow {
  line: number;
  /** The row's input as the large model sees it (text, or pixel values of an image task). */
  input: DatasetRow['input'];
  /** Small model class probabilities, in the manifest's label order; they build the PP prompt. */
  probs: number[];
  /** The answer to fall back on (small or learnable, whichever is more confident). */
  fallbackLabel: string;
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

/** Ingest's record of the run's planned shards, written once sharding is done. */
export interface RunPlan {
  shards: number;
  rows: number;
  rejects: number;
  /** The objects read, in order, and the rows (lines) each gave: row numbers continue from one to the next. */
  inputs?: Array<{ object: string; firstLine: number; lines: number }>;
}

/** What a guarantee run's sampling phase chose (runKeys().guarantee), read by finalize for the report. */
export interface GuaranteeOutcome {
  source: Extract<DeltaSource, { kind: 'guarantee' }>;
  /** Rows whose large answers were bought, by input line: they keep those answers whatever the threshold. */
  sampledLines: number[];
}
