import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, type JobState } from 'bullmq';
import { RunReportTally } from '@datashunt/algorithms';
import { BudgetMeter, RunBreaker } from '@datashunt/llm';
import type { InputRange, JobPayload, RejectRecord } from '@datashunt/contracts';
import { placeReject, type ShardPlacement } from '@datashunt/formats';
import { readAhead, RunCancellation, RunProgress, RunSettlement, RunStore, SettlerGone, ShardGate, shiftLineNumbers } from '@datashunt/runs';
import { defineHandler, ownKeyPrefix, type Runtime } from '@datashunt/runtime';
import { JsonlWriter, putJson } from '@datashunt/storage';
import { writeResultTables } from '../result-tables.js';

/**
 * Writes a run's results.jsonl and rejects.jsonl from its shards' parts, in shard order, numbering each
 * shard's lines after the lines of the shards before it, and report.json from the shards' tallies. It
 * starts with the run and writes each shard as soon as it and those before it are routed (ShardGate),
 * so little is left to do once the last one is. Results are copied as bytes with only their line
 * numbers rewritten, and parsed again only for the tables the manifest asks for (results.csv,
 * results.parquet). A shard that failed for good (an outage longer than the retry window) is not
 * turned into rejects: the run fails, the report counts its rows as unfinished, and `datashunt runs
 * resume` finishes them. Re-running it rewrites the same objects.
 */
export function finalizeRunHandler(runtime: Runtime, release: AbortSignal) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  const prefix = ownKeyPrefix(runtime.config.QUEUE_PREFIX);
  const breaker = new RunBreaker(runtime.redis, prefix);
  const budget = new BudgetMeter(runtime.redis, prefix);
  const cancellation = new RunCancellation(runtime.redis, prefix);
  const progress = new RunProgress(runtime.redis, prefix);
  const settlement = new RunSettlement(runtime.redis, prefix);
  return defineHandler({
    name: 'finalize-run',
    async handle(payload, { job, token }) {
      const { runId, outputPrefix, attempt, ingestJobId } = payload;
      const gate = new ShardGate(
        {
          isShardDone: (shard) => progress.isShardDone(runId, shard),
          settled: () => settlement.settled(runId, attempt),
          settlerAlive: async () => LIVE_STATES.has(await runtime.queues.queue('ingest').getJobState(ingestJobId)),
        },
        (ms) => sleep(ms, undefined, { signal: release }),
      );
      const keys = runs.keys(outputPrefix, runId);
      const results = new JsonlWriter(runtime.s3, runs.ref(keys.results));
      const rejects = new JsonlWriter(runtime.s3, runs.ref(keys.rejects));
      try {
        return await writeRun(payload, gate, { results, rejects });
      } catch (error) {
        await Promise.all([results.abort(), rejects.abort()]);
        if (error instanceof SettlerGone) throw new UnrecoverableError(`${error.message} (job ${ingestJobId}); \`datashunt runs resume\` plans the run again`);
        // While the run is still going, starting over later costs nothing: no attempt is spent on an
        // outage, and a process that stops hands the run on instead of leaving it to stall.
        if (gate.isSettled) throw error;
        runtime.logger.warn({ runId, err: (error as Error).message }, release.aborted ? 'finalize hands its run on as this process stops' : `finalize starts over in ${RESTART_DELAY_MS} ms; its run is still going`);
        await job.moveToDelayed(Date.now() + (release.aborted ? 0 : RESTART_DELAY_MS), token);
        throw new DelayedError();
      }
    },
  });

  async function writeRun({ runId, outputPrefix, shards }: JobPayload<'finalize-run'>, gate: ShardGate, { results, rejects }: { results: JsonlWriter; rejects: JsonlWriter }) {
    const snapshot = await runs.snapshot(outputPrefix, runId);
    const keys = runs.keys(outputPrefix, runId);
    const [plan, inputs] = await Promise.all([runs.plan(outputPrefix, runId), runs.plannedInputs(outputPrefix, runId)]);
    const tally = new RunReportTally();
    let unfinishedRows = 0;
    // Shards number their lines from 1: each is placed after the lines of the shards before it.
    let linesBefore = 0;
    let objectLinesBefore = 0;
    // Each shard's objects are fetched, once it is routed, while the shards before it are written.
    const fetched = readAhead(shards, runtime.config.FINALIZE_READ_AHEAD, async (shard) => {
      const failure = await gate.wait(shard);
      return fetchShard(runs, outputPrefix, runId, plan.ranges[shard]!, shard, failure !== undefined);
    });
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
      await progress.shardsWritten(runId, shard);
    }
    const failedShards = await gate.failedShards();
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
  }
}

/** How long finalize waits before it starts a still-going run over after an error (an outage, mostly). */
const RESTART_DELAY_MS = 5_000;

/** States of a manifest-ingest job that may still settle its run's shards. */
const LIVE_STATES = new Set<JobState | 'unknown'>(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);

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
