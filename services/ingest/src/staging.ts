import type { InputRange } from '@datashunt/contracts';
import { planRanges, readRangeRecords, stagedLine, type RunInputs, type RunStore } from '@datashunt/runs';

/**
 * The run's shards: planRanges' cuts, with every object that cannot be cut by bytes and is larger than
 * `stageAboveBytes` (STAGE_ABOVE_BYTES) staged as shards of `shardSize` records: read whole by one
 * scorer, it would hold all of its rows at once. Staging reads such an object once, as a
 * stream; it is the only part of planning that grows with rows, and only for those objects.
 */
export async function planShardRanges(runs: RunStore, run: { outputPrefix: string; runId: string; shardSize: number }, inputs: RunInputs, stageAboveBytes: number): Promise<InputRange[]> {
  const ranges: InputRange[] = [];
  for (const range of planRanges(inputs.objects, run.shardSize)) {
    const object = inputs.objects[range.object]!;
    if (range.kind === 'whole' && object.size > stageAboveBytes) ranges.push(...(await stage(runs, run, object, range.object)));
    else ranges.push(range);
  }
  return ranges;
}

async function stage(runs: RunStore, run: { outputPrefix: string; runId: string; shardSize: number }, object: RunInputs['objects'][number], index: number): Promise<InputRange[]> {
  const ranges: InputRange[] = [];
  let lines: string[] = [];
  let firstRecord = 1;
  const flush = async () => {
    await runs.writeStaged(run.outputPrefix, run.runId, index, ranges.length, lines);
    ranges.push({ kind: 'staged', object: index, part: ranges.length, firstRecord });
    lines = [];
  };
  for await (const record of readRangeRecords(runs.s3, object, { kind: 'whole', object: index }, [])) {
    if (!lines.length) firstRecord = record.number;
    lines.push(stagedLine(record));
    if (lines.length === run.shardSize) await flush();
  }
  if (lines.length) await flush();
  return ranges.length ? ranges : [{ kind: 'whole', object: index }];
}
