import { spawn, spawnSync } from 'node:child_process';

const R_PACKAGES = ['r-base-core', 'r-cran-modeldata'];

function rHasPackage(pkg: string): boolean {
  const probe = spawnSync('Rscript', ['-e', `invisible(find.package("${pkg}"))`], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

function run(command: string, args: string[]): boolean {
  console.log(`[datasets] $ ${[command, ...args].join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
}

/**
 * Makes sure Rscript and the modeldata package are there, installing them from Debian when they are
 * not (the only offline source of the Fine Foods reviews). Needs apt-get and root; says so otherwise.
 */
export function ensureRWithModeldata(): void {
  if (rHasPackage('modeldata')) return;
  const manual = `apt-get install -y --no-install-recommends ${R_PACKAGES.join(' ')}`;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error) {
    throw new Error(`fine-foods needs R with the modeldata package, and apt-get is not available to install them; install R and CRAN "modeldata" (Debian: ${manual})`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`fine-foods needs R with the modeldata package; run as root (or install first): ${manual}`);
  }
  console.log('[datasets] Rscript or R package modeldata missing: installing from Debian');
  const installArgs = ['install', '-y', '--no-install-recommends', ...R_PACKAGES];
  // A fresh machine may have empty package lists; refresh them only when the first attempt fails.
  const installed = run('apt-get', installArgs) || (run('apt-get', ['update']) && run('apt-get', installArgs));
  if (!installed || !rHasPackage('modeldata')) throw new Error(`installing R failed; try by hand: ${manual}`);
}

/** Runs an R program and returns its standard output (UTF-8). */
export function runRscript(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('Rscript', ['--vanilla', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`Rscript exited with ${code}: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
  });
}
