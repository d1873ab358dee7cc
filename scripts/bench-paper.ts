// The paper-reproduction benchmark (issue 4): `node_modules/.bin/tsx scripts/bench-paper.ts [--sweep] [--ablation]
// [--only spam,fine-foods,mnist-lt] [--write-docs docs/benchmarks.md]` after `pnpm build`. Same as `datashunt bench run`.
import { runCli } from '../packages/cli/dist/program.js';

process.exitCode = await runCli(['bench', 'run', ...process.argv.slice(2)], 'scripts/bench-paper');
