export const DATASET_NAMES = ['spam', 'fine-foods', 'mnist-lt'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** One line of a split file: the pipeline's row format plus optional extra fields (e.g. `group`). */
export interface DatasetRecord {
  id: string;
  input: string | number[];
  label: string;
  group?: string;
  [extra: string]: unknown;
}

export type Splits = Record<SplitName, DatasetRecord[]>;

/** What a source hands to the writer: the rows, and what meta.json should say about them. */
export interface BuildResult {
  splits: Splits;
  source: { package: string; version: string; object?: string };
  params: Record<string, number | string>;
  notes: string[];
}

export interface DatasetSource {
  name: DatasetName;
  /** Bump when the rows a seed produces change, so existing builds are redone. */
  builderVersion: number;
  kind: 'text' | 'image';
  /** Fixed label order: index i is class i for every consumer. */
  labels: readonly string[];
  licence: string;
  /** Named sets of labels that results are reported by (mnist-lt's head/medium/tail). */
  labelGroups?: Record<string, readonly string[]>;
  build(seed: number): Promise<BuildResult>;
}

export interface SplitStats {
  file: string;
  total: number;
  byLabel: Record<string, number>;
  /** Counts by the rows' `group` field, where rows carry one. */
  byGroup?: Record<string, number>;
  sha256: string;
}

export interface DatasetMeta {
  name: DatasetName;
  builderVersion: number;
  seed: number;
  kind: 'text' | 'image';
  labels: string[];
  labelGroups?: Record<string, string[]>;
  splits: Record<SplitName, SplitStats>;
  source: BuildResult['source'];
  licence: string;
  params: BuildResult['params'];
  notes: string[];
}

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
