import { mulberry32, shuffled } from '@datashunt/algorithms';
import { ensureRWithModeldata, runRscript } from './rscript.js';
import { stratifiedSplit } from './split.js';
import type { DatasetRecord, DatasetSource } from './types.js';

const TRAIN_FRACTIONS = [0.8, 0.2];

/**
 * Prints modeldata's version, then one JSON line per review of small_fine_foods (objects
 * `training_data` and `testing_data`). jsonlite is not in Debian's minimal R, so strings are escaped
 * by hand; the reviews are valid UTF-8 and pass through as bytes.
 */
const EXPORT_R = String.raw`
e <- new.env()
invisible(lazyLoad(file.path(find.package("modeldata"), "data", "Rdata"), envir = e))
esc <- function(s) {
  for (p in list(c("\\", "\\\\"), c("\"", "\\\""), c("\n", "\\n"), c("\r", "\\r"), c("\t", "\\t"))) {
    s <- gsub(p[1], p[2], s, fixed = TRUE, useBytes = TRUE)
  }
  gsub("[\001-\037]", " ", s, useBytes = TRUE)
}
cat(as.character(packageVersion("modeldata")), "\n", sep = "")
for (part in c("training_data", "testing_data")) {
  d <- get(part, envir = e)
  writeLines(paste0('{"part":"', part, '","product":"', esc(as.character(d$product)),
    '","score":"', as.character(d$score), '","review":"', esc(d$review), '"}'), useBytes = TRUE)
}
`;

interface ExportedReview {
  part: 'training_data' | 'testing_data';
  product: string;
  score: string;
  review: string;
}

/** Parses the R export into modeldata's version and rows; ids number each part's rows from 1 in R's order. */
export function parseFineFoodsExport(text: string): { version: string; train: DatasetRecord[]; test: DatasetRecord[] } {
  const [version, ...lines] = text.split('\n').filter((line) => line !== '');
  const train: DatasetRecord[] = [];
  const test: DatasetRecord[] = [];
  for (const line of lines) {
    const r = JSON.parse(line) as ExportedReview;
    const target = r.part === 'training_data' ? train : test;
    const prefix = r.part === 'training_data' ? 'train' : 'test';
    target.push({ id: `${prefix}-${String(target.length + 1).padStart(4, '0')}`, input: r.review.trim(), label: r.score, product: r.product });
  }
  return { version: version!.trim(), train, test };
}

export const fineFoodsSource: DatasetSource = {
  name: 'fine-foods',
  builderVersion: 1,
  kind: 'text',
  labels: ['great', 'other'],
  licence: 'MIT (R package modeldata); reviews from the Amazon Fine Food Reviews corpus (McAuley & Leskovec, 2013)',
  async build(seed) {
    ensureRWithModeldata();
    const { version, train: pool, test } = parseFineFoodsExport(await runRscript(EXPORT_R));
    const rng = mulberry32(seed);
    const [train, validation] = stratifiedSplit(pool, (r) => r.label, TRAIN_FRACTIONS, rng);
    return {
      splits: { train: train!, validation: validation!, test: shuffled(test, rng) },
      source: { package: 'r-cran-modeldata (CRAN modeldata)', version, object: 'small_fine_foods: training_data, testing_data' },
      params: { trainFractions: TRAIN_FRACTIONS.join('/'), trainingRows: pool.length, testingRows: test.length },
      notes: [
        "train/validation: modeldata's training_data split 80/20 stratified by label; test: its testing_data, shuffled",
        'label = score (great = 5 stars, other = 1-4 stars); input = review text as published (HTML such as <br /> kept), trimmed',
        'id = train-NNNN / test-NNNN, the row number inside training_data / testing_data; `product` = Amazon product id',
      ],
    };
  },
};
