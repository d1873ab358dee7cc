import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STAND_IN_FORMAT, type StandInModel } from './stand-in-model.js';

/**
 * The stand-ins a server can answer with: given models, plus every *.json in a directory. The directory
 * is read on first use and again whenever no stand-in fits a request, so models built later are picked up.
 */
export class StandInRegistry {
  private fromDir: StandInModel[] = [];
  private loaded = false;

  constructor(
    private readonly modelsDir: string | undefined,
    private readonly given: readonly StandInModel[] = [],
  ) {}

  async load(): Promise<void> {
    this.loaded = true;
    if (!this.modelsDir) return;
    const files = (await readdir(this.modelsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
    const models = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(this.modelsDir!, f), 'utf8')) as StandInModel));
    this.fromDir = models.filter((m) => m.format === STAND_IN_FORMAT);
  }

  all(): StandInModel[] {
    return [...this.given, ...this.fromDir];
  }

  /** The most specific stand-in (fewest labels) of the right kind whose labels include all allowed ones. */
  async find(kind: StandInModel['kind'], allowedLabels: readonly string[]): Promise<StandInModel | undefined> {
    const match = () =>
      this.all()
        .filter((m) => m.kind === kind && allowedLabels.every((label) => m.labels.includes(label)))
        .sort((a, b) => a.labels.length - b.labels.length || a.name.localeCompare(b.name))[0];
    if (!this.loaded) await this.load();
    const found = match();
    if (found) return found;
    await this.load();
    return match();
  }
}
