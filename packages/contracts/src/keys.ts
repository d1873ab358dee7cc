import { createHash } from 'node:crypto';

/** The S3 layout of a run and of the model registry, in one place so every service agrees. */
export function runKeys(prefix: string, runId: string) {
  const root = `${prefix.replace(/\/*$/, '/')}${runId}/`;
  return {
    root,
    manifest: `${root}manifest.json`,
    state: `${root}state.json`,
    /** The objects the run reads and how (RunInputs). */
    inputs: `${root}inputs.json`,
    /** A shard of records of an input object that cannot be cut by bytes (gzip'd, CSV), staged by ingest. */
    staged: (object: number, part: number) => `${root}staged/${pad(object)}-${pad(part)}.jsonl`,
    /** The scorer's compact rows for the router (CompactScoredRow). */
    scored: (i: number) => `${root}scored/${pad(i)}.jsonl`,
    /** A paid large-model answer, by request hash: the run's durable answer log. */
    answer: (hash: string) => `${root}answers/${hash}.json`,
    /** The inputs of the rows of a shard the router may send to the large model, written by the scorer and read by the llm-caller: row text stays in S3, never in job data. */
    hardRows: (i: number) => `${root}hard/${pad(i)}.jsonl`,
    /** Batch mode: the rows of a shard the router sent to the large model, read by its llm-batch jobs. */
    batchRows: (i: number) => `${root}batch/${pad(i)}.jsonl`,
    /** The guarantee run's chosen threshold and the rows it sampled (see GuaranteeOutcome). */
    guarantee: `${root}guarantee.json`,
    part: (i: number) => `${root}parts/${pad(i)}.jsonl`,
    partRejects: (i: number) => `${root}parts/${pad(i)}.rejects.jsonl`,
    partTally: (i: number) => `${root}parts/${pad(i)}.tally.json`,
    /** The records a shard's scorer refused while reading its range (PendingReject), placed by finalize. */
    shardRejects: (i: number) => `${root}shard-rejects/${pad(i)}.jsonl`,
    results: `${root}results.jsonl`,
    /** results.jsonl as a table (output.formats): results.csv, results.parquet. */
    resultsTable: (format: 'csv' | 'parquet') => `${root}results.${format}`,
    rejects: `${root}rejects.jsonl`,
    report: `${root}report.json`,
  };
}

/**
 * Where a refused manifest's error goes. The cleaned name keeps it readable; the hash of the full key
 * keeps two manifests whose names clean to the same string (`a b.json`, `a_b.json`, or one name in
 * two folders) from sharing one.
 */
export function manifestErrorKey(prefix: string, manifestKey: string): string {
  const hash = createHash('sha256').update(manifestKey).digest('hex').slice(0, 8);
  return `${prefix.replace(/\/*$/, '/')}${manifestBaseName(manifestKey)}-${hash}/error.json`;
}

export function manifestBaseName(manifestKey: string): string {
  const file = manifestKey.split('/').pop() ?? manifestKey;
  return file.replace(/\.json$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'manifest';
}

/** The system's own prefixes in the run bucket: no run reads from or writes under them. */
export const MODELS_PREFIX = 'models/';
export const DISTILL_PREFIX = 'distill/';

export function modelKeys(name: string) {
  const root = `${MODELS_PREFIX}${name}/`;
  return {
    root,
    version: (version: string) => ({
      onnx: `${root}${version}/model.onnx`,
      meta: `${root}${version}/model.json`,
      /** `datashunt calibrate`'s record for this version (the delta curve and the choices per target). */
      calibration: `${root}${version}/calibration.json`,
      extra: (file: string) => `${root}${version}/${file}`,
    }),
    pointer: (role: string) => `${root}pointers/${role}.json`,
  };
}

/** Where 2CD rows for an external trainer go, and the answer log that redistillation reads. */
export function distillKeys(modelName: string) {
  return {
    exportSet: (stamp: string) => `${DISTILL_PREFIX}${modelName}/${stamp}/distill-set.jsonl`,
  };
}

function pad(i: number): string {
  return String(i).padStart(5, '0');
}
