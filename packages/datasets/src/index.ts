export { buildDataset, countRows, datasetPaths, readDatasetMeta, DEFAULT_OUT_DIR, DEFAULT_SEED, type BuildOptions, type DatasetPaths } from './build.js';
export { formatCountsTable } from './format.js';
export { readJsonlFile, readJsonlFileAll, writeJsonlFile } from './jsonl.js';
export { longTailCounts, MNIST_IMBALANCE_RATIO, MNIST_N_MAX } from './mnist-lt.js';
export { SPAM_MAX_CHARS, stripMailHeaders } from './spam.js';
export { DATASET_NAMES, isDatasetName, SPLIT_NAMES, type DatasetMeta, type DatasetName, type DatasetRecord, type SplitName, type SplitStats } from './types.js';
