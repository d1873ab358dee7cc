import { RunReportTally } from '@datashunt/algorithms';
import { BudgetMeter, RunBreaker } from '@datashunt/llm';
import type { InputRange, RejectRecord } from '@datashunt/contracts';
import { placeReject, type ShardPlacement } from '@datashunt/formats';
import { readAhead, RunCancellation, RunProgress, RunStore, shiftLineNumbers } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { JsonlWriter, putJson } from '@datashunt/storage';
import { writeResultTables } from '../result-tables.js';

/**
 * Concatenates the shards' parts into results.jsonl and rejects.jsonl (shard order), numbering each
 * shard's lines after the lines of the shards before it, and writes report.json from the shards'
 * tallies: results are copied as bytes with only their line numbers rewritten, and parsed again only
 * for the tables the manifest asks for (results.csv, results.parquet). A shard that
 * failed for good (an outage longer than the retry window) is not turned into rejects: the run fails,
 * the report counts its rows as unfinished, and `datashunt runs resume` finishes them. Re-running it
 * rewrites the same objects.
 */
export function finalizeRunHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const breaker = new RunBreaker(runtime.redis, prefix);
  const budget = new BudgetMeter(runtime.redis, prefix);
  const cancellation = new RunCancellation(runtime.redis, prefix);
  const progress = new RunProgress(runtime.redis, prefix);
  return defineHandler({
    name: 'finalize-run',
    async handle({ runId, outputPrefix, shards, failedShards }) {
      const snapshot = await runs.snapshot(outputPrefix, runId);
      const keys = runs.keys(outputPrefix, runId);
      const [plan, inputs] = await Promise.all([runs.plan(outputPrefix, runId), runs.plannedInputs(outputPrefix, runId)]);
      const failed = new Map(failedShards.map((f) => [f.shard, f.reason]));
      const tally = new RunReportTally();
      const results = new JsonlWriter(runtime.s3, runs.ref(keys.results));
      const rejects = new JsonlWriter(runtime.s3, runs.ref(keys.rejects));
      let unfinishedRows = 0;
      // Shards number their lines from 1: each is placed after the lines of the shards before it.
      let linesBefore = 0;
      let objectLinesBefore = 0;
      // Each shard's objects are fetched while the shards before it are written.
      const fetched = readAhead(shards, runtime.config.FINALIZE_READ_AHEAD, (shard) => fetchShard(runs, outputPrefix, runId, plan.ranges[shard]!, shard, failed.has(shard)));
      let shard = 0;
      for await (const { readRejects, lines, part } of fetched) {
        const range = plan.ranges[shard]!;
        if (shard > 0 && plan.ranges[shard - 1]!.object !== range.object) objectLinesBefore = 0;
        const object = inputs.objects[range.object]!;
        const placement: ShardPlacement = { linesBefore, objectLinesBefore, format: object.format.records, ...(inputs.isPrefix ? { object: object.key } : {}) };
        for (const pending of readRejects) await rejects.write(placeReject(pending, placement));
        tally.addRejects(readRejects.length);
        if (part) {
          tally.merge(part.summary.tally);
          await results.writeRaw(shiftLineNumbers(part.results, linesBefore));
          for (const reject of part.rejects) await rejects.write(placeModelReject(reject, placement));
        } else {
          // Not finished: its rows are counted, not reported, and `datashunt runs resume` finishes them.
          unfinishedRows += lines - readRejects.length;
        }
        linesBefore += lines;
        objectLinesBefore += lines;
        shard += 1;
      }
      await Promise.all([results.close(), rejects.close()]);
      const tables = await writeResultTables(runs, snapshot);
      // A guarantee run's delta is the threshold its sampling phase chose (none if it never got there).
      const guarantee = snapshot.guarantee ? await runs.guarantee(outputPrefix, runId) : undefined;
      const deltaSource = guarantee?.source ?? snapshot.deltaSource;
      const report = tally.build({
        runId,
        manifestKey: snapshot.manifestKey,
        manifest: guarantee ? { ...snapshot.manifest, delta: guarantee.source.threshold ?? 1 } : snapshot.manifest,
        ...(deltaSource ? { deltaSource } : {}),
        createdAt: snapshot.createdAt,
        finishedAt: new Date(),
        outcome: { failedShards, unfinishedRows, breaker: await breaker.tripped(runId), cancelled: await cancellation.cancelled(runId) },
        requests: await requestsOf(budget, runId),
      });
      await putJson(runtime.s3, runs.ref(keys.report), report);
      await progress.phase(runId, report.status);
      runtime.metrics.run.observeBudgetUse(report.costUsd, report.budgetUsd);
      runtime.logger.info(
        { runId, status: report.status, failure: report.failure ?? undefined, rows: report.rows, rejects: report.rejects, queryProportion: report.queryProportion, costUsd: report.costUsd, accuracy: report.accuracy?.overall.accuracy, tables: tables.length ? tables.map((t) => t.key) : undefined },
        'run finished',
      );
      return { runId, reportKey: keys.report, status: report.status, rows: report.rows, results: report.results, rejects: report.rejects };
    },
  });
}

async function requestsOf(budget: BudgetMeter, runId: string) {
  const spend = await budget.usage(runId);
  return { sent: spend.sent, paid: spend.paidCalls, possiblyPaid: spend.possiblyPaidCalls, possiblyPaidUsd: spend.possiblyPaidUsd };
}

/** What finalize reads of one shard: its rejects, its line count and, unless it failed for good, its part. */
async function fetchShard(runs: RunStore, outputPrefix: string, runId: string, range: InputRange, shard: number, failed: boolean) {
  const [readRejects, part] = await Promise.all([runs.readShardRejects(outputPrefix, runId, shard), failed ? undefined : runs.readPart(outputPrefix, runId, shard)]);
  return { readRejects, lines: part ? part.summary.lines : await countLines(runs, outputPrefix, runId, range), part };
}

async function countLines(runs: RunStore, outputPrefix: string, runId: string, range: InputRange): Promise<number> {
  let lines = 0;
  for await (const _ of runs.readShardRows(outputPrefix, runId, range)) lines += 1;
  return lines;
}

/** A row the small model could not take, placed like the rejects found while reading. */
function placeModelReject(reject: RejectRecord, at: ShardPlacement): RejectRecord {
  const placed: RejectRecord = { ...reject, line: at.linesBefore + reject.line };
  if (at.object) {
    placed.object = at.object;
    placed.objectLine = at.objectLinesBefore + reject.line;
  }
  return placed;
}
