import type { RejectRecord } from '@datashunt/contracts';
import { RunReportTally } from '@datashunt/algorithms';
import { RunStore } from '@datashunt/runs';
import { defineHandler, type Runtime } from '@datashunt/runtime';
import { JsonlWriter, putJson, readJsonl } from '@datashunt/storage';

/**
 * Merges the shards' parts into results.jsonl and rejects.jsonl (in input order) and writes
 * report.json. Rows of a shard that failed for good become rejects naming why, so every input row
 * ends as exactly one result or one reject. Re-running it rewrites the same objects.
 */
export function finalizeRunHandler(runtime: Runtime) {
  const runs = new RunStore(runtime.s3, runtime.bucket);
  return defineHandler({
    name: 'finalize-run',
    async handle({ runId, outputPrefix, shards, failedShards }) {
      const snapshot = await runs.snapshot(outputPrefix, runId);
      const keys = runs.keys(outputPrefix, runId);
      const failed = new Map(failedShards.map((f) => [f.shard, f.reason]));
      const tally = new RunReportTally();
      const results = new JsonlWriter(runtime.s3, runs.ref(keys.results));
      const rejects = new JsonlWriter(runtime.s3, runs.ref(keys.rejects));
      const reject = async (r: RejectRecord) => {
        tally.addReject();
        await rejects.write(r);
      };
      for (let shard = 0; shard < shards; shard++) {
        for await (const r of readJsonl<RejectRecord>(runtime.s3, runs.ref(keys.shardRejects(shard)))) await reject(r);
        const reason = failed.get(shard);
        if (reason !== undefined) {
          for await (const row of runs.readShard(outputPrefix, runId, shard)) {
            await reject({ line: row.line, id: row.id, reason: `shard ${shard} failed: ${reason}` });
          }
          continue;
        }
        for await (const record of runs.readPart(outputPrefix, runId, shard)) {
          if ('result' in record) {
            tally.addResult(record.result);
            await results.write(record.result);
          } else {
            await reject(record.reject);
          }
        }
      }
      await Promise.all([results.close(), rejects.close()]);
      const report = tally.build({ runId, manifestKey: snapshot.manifestKey, manifest: snapshot.manifest, createdAt: snapshot.createdAt, finishedAt: new Date() });
      await putJson(runtime.s3, runs.ref(keys.report), report);
      runtime.logger.info(
        { runId, rows: report.rows, rejects: report.rejects, queryProportion: report.queryProportion, costUsd: report.costUsd, accuracy: report.accuracy?.overall.accuracy },
        'run finished',
      );
      return { runId, reportKey: keys.report, rows: report.rows, results: report.results, rejects: report.rejects };
    },
  });
}
