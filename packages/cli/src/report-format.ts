import type { Report } from '@datashunt/contracts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '   n/a' : `${(x * 100).toFixed(2).padStart(6)}%`);

function describeDeltaSource(source: Report['deltaSource']): string {
  return source.kind === 'manifest' ? 'from the manifest' : `calibrated for ${source.target.target} on ${source.calibratedAt}, model ${source.modelVersion}`;
}

/** The report as a person reads it in a terminal; report.json stays the machine-readable form. */
export function formatReport(report: Report): string {
  const lines = [
    `run ${report.runId}  (${report.manifestKey})  ${report.status.toUpperCase()}`,
    // A cancelled run keeps what else went wrong as its failure text.
    ...(report.failure ? [`  ${report.status === 'failed' ? 'FAILED' : 'problem'}: ${report.failure}`] : []),
    ...report.warnings.map((w) => `  warning: ${w}`),
    `  rows ${report.rows}: ${report.results} results, ${report.rejects} rejects${report.unfinishedRows ? `, ${report.unfinishedRows} unfinished (datashunt runs resume ${report.runId})` : ''}   wall ${report.wallSeconds.toFixed(1)} s`,
    `  small model ${report.modelVersions.specific}${report.modelVersions.learnable ? `, learnable ${report.modelVersions.learnable}` : ''}; delta ${report.delta} (${describeDeltaSource(report.deltaSource)}); prompt ${report.promptMode}; large model ${report.largeModel}`,
    `  answered by: small ${report.bySource.small}, learnable ${report.bySource.learnable}, large ${report.bySource.large}, fallback ${report.bySource.fallback}` +
      (Object.keys(report.fallbackReasons).length ? ` (${Object.entries(report.fallbackReasons).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''),
    `  query proportion ${pct(report.queryProportion)}   large-model calls: ${report.largeModelCalls.paid} paid, ${report.largeModelCalls.cached} cached`,
    `  tokens in ${report.tokens.input}, out ${report.tokens.output}   cost $${report.costUsd.toFixed(6)} of $${report.budgetUsd} budget`,
    ...(report.batch
      ? [`  batch: ${report.batch.rows} rows answered through the batch interface for $${report.batch.costUsd.toFixed(6)}, saved $${report.batch.savedUsd.toFixed(6)} against $${report.batch.syncCostUsd.toFixed(6)} as synchronous calls`]
      : []),
    ...(report.requests
      ? [`  requests sent ${report.requests.sent}: ${report.requests.paid} answered (paid), ${report.requests.possiblyPaid} timed out or cut off (possibly billed, $${report.requests.possiblyPaidUsd.toFixed(6)} reserved)`]
      : []),
  ];
  if (report.accuracy) {
    const a = report.accuracy;
    lines.push(`  accuracy ${pct(a.overall.accuracy)} (${a.overall.correct}/${a.overall.total})`);
    lines.push(`    per class:  ${Object.entries(a.perClass).map(([k, c]) => `${k} ${pct(c.accuracy).trim()} (${c.total})`).join(', ')}`);
    lines.push(`    per source: ${Object.entries(a.bySource).map(([k, c]) => `${k} ${pct(c.accuracy).trim()} (${c.total})`).join(', ')}`);
  }
  return lines.join('\n');
}
