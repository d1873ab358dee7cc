import { RunReportTally } from '@datashunt/algorithms';
import { BudgetMeter, RunBreaker } from '@datashunt/llm';
import { RunCancellation, RunProgress, RunStore } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { getStream, JsonlWriter, putJson } from '@datashunt/storage';
import { writeResultTables } from '../result-tables.js';

/**
 * Concatenates the shards' parts into results.jsonl and rejects.jsonl (shard order) and writes
 * report.json from the shards' tallies: results are copied as bytes, and parsed again only for the
 * tables the manifest asks for (results.csv, results.parquet). A shard that
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
      const failed = new Map(failedShards.map((f) => [f.shard, f.reason]));
      const tally = new RunReportTally();
      const results = new JsonlWriter(runtime.s3, runs.ref(keys.results));
      const rejects = new JsonlWriter(runtime.s3, runs.ref(keys.rejects));
      const copy = async (key: string, into: JsonlWriter) => {
        let lines = 0;
        for await (const chunk of await getStream(runtime.s3, runs.ref(key))) {
          lines += countNewlines(chunk as Buffer);
          await into.writeRaw(chunk as Buffer);
        }
        return lines;
      };
      let unfinishedRows = 0;
      for (let shard = 0; shard < shards; shard++) {
        tally.addRejects(await copy(keys.shardRejects(shard), rejects));
        if (failed.has(shard)) {
          for await (const chunk of await getStream(runtime.s3, runs.ref(keys.shard(shard)))) unfinishedRows += countNewlines(chunk as Buffer);
          continue;
        }
        tally.merge(await runs.partTally(outputPrefix, runId, shard));
        await copy(keys.part(shard), results);
        await copy(keys.partRejects(shard), rejects);
      }
      await Promise.all([results.close(), rejects.close()]);
      const tables = await writeResultTables(runs, snapshot, shards, new Set(failed.keys()));
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

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count += 1;
  return count;
}
