import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStandIn, toStandInInput, writeStandIn } from './build-stand-in';
import { allowedLabelProbabilities, fitTemperature } from './stand-in-model';
import { StandInRegistry } from './stand-in-registry';
import { syntheticImageRows, syntheticTextRows, writeJsonl } from './testing/synthetic-data';

describe('buildStandIn', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ds-refllm-'));
    writeJsonl(join(dir, 'text.jsonl'), syntheticTextRows(60, 1));
    writeJsonl(join(dir, 'images.jsonl'), syntheticImageRows(30, 2));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains a text stand-in on a balanced sample, the same for the same seed', async () => {
    const options = { trainPath: join(dir, 'text.jsonl'), task: 'toy-spam', perClass: 20, seed: 7 };
    const model = await buildStandIn(options);
    expect(model).toMatchObject({ kind: 'text', name: 'toy-spam', labels: ['ham', 'spam'], perClass: 20, source: 'text.jsonl' });
    if (model.kind !== 'text') throw new Error('expected text');
    expect(model.naiveBayes.classDocs).toEqual([20, 20]);
    expect(model.temperature).toBeGreaterThan(0);
    expect(await buildStandIn(options)).toEqual(model);
    expect(await buildStandIn({ ...options, seed: 8 })).not.toEqual(model);

    const [best] = allowedLabelProbabilities(model, toStandInInput('claim your free cash prize now'), model.labels);
    expect(best!.label).toBe('spam');
  });

  it('trains an image stand-in and answers among the allowed labels only', async () => {
    const model = await buildStandIn({ trainPath: join(dir, 'images.jsonl'), task: 'toy-shapes', perClass: 10, seed: 1, grid: 4 });
    expect(model).toMatchObject({ kind: 'image', labels: ['diagonal', 'horizontal', 'vertical'] });
    const [row] = syntheticImageRows(1, 99);
    const all = allowedLabelProbabilities(model, toStandInInput(row!.input), model.labels);
    expect(all[0]!.label).toBe('horizontal');
    const pruned = allowedLabelProbabilities(model, toStandInInput(row!.input), ['vertical', 'diagonal']);
    expect(pruned.map((c) => c.label).sort()).toEqual(['diagonal', 'vertical']);
    expect(pruned[0]!.p + pruned[1]!.p).toBeCloseTo(1);
    expect(() => allowedLabelProbabilities(model, toStandInInput(row!.input), ['circle'])).toThrow(/does not know/);
  });

  it('warns, naming the class and both counts, when a class has fewer rows than perClass asks for', async () => {
    const path = join(dir, 'short.jsonl');
    writeJsonl(path, [...syntheticTextRows(60, 3).filter((r) => r.label === 'ham'), ...syntheticTextRows(60, 4).filter((r) => r.label === 'spam').slice(0, 7)]);
    const warnings: string[] = [];
    await buildStandIn({ trainPath: path, task: 't', perClass: 10, seed: 1, warn: (line) => warnings.push(line) });
    expect(warnings).toEqual([`${path}: class "spam" has 7 rows, fewer than 20 asked for (perClass 10 to train and 10 to calibrate)`]);
    await buildStandIn({ trainPath: path, task: 't', perClass: 3, seed: 1, warn: (line) => warnings.push(line) });
    expect(warnings).toHaveLength(1);
  });

  it('rejects rows without labels and single-label data', async () => {
    writeJsonl(join(dir, 'unlabelled.jsonl'), [{ id: 1, input: 'x' }]);
    await expect(buildStandIn({ trainPath: join(dir, 'unlabelled.jsonl'), task: 't', perClass: 5, seed: 1 })).rejects.toThrow(/unlabelled.jsonl:1/);
    writeJsonl(join(dir, 'one.jsonl'), [{ id: 1, input: 'x', label: 'a' }]);
    await expect(buildStandIn({ trainPath: join(dir, 'one.jsonl'), task: 't', perClass: 5, seed: 1 })).rejects.toThrow(/two labels/);
  });

  it('is found in a models directory by kind and labels, most specific first', async () => {
    const modelsDir = join(dir, 'models');
    const text = await buildStandIn({ trainPath: join(dir, 'text.jsonl'), task: 'toy-spam', perClass: 5, seed: 1 });
    const registry = new StandInRegistry(modelsDir);
    expect(await registry.find('text', ['spam'])).toBeUndefined();
    await writeStandIn(modelsDir, text);
    expect((await registry.find('text', ['spam', 'ham']))?.name).toBe('toy-spam');
    expect(await registry.find('image', ['spam'])).toBeUndefined();
    const wider = { ...text, name: 'a-wider', labels: ['ham', 'spam', 'phishing'] };
    expect((await new StandInRegistry(modelsDir, [wider]).find('text', ['spam']))?.name).toBe('toy-spam');
  });
});

describe('fitTemperature', () => {
  it('softens overconfident logits and sharpens timid ones', () => {
    // Logits say 1000:0 but are right 3 times in 4: a large temperature fits.
    expect(fitTemperature([[1000, 0], [1000, 0], [1000, 0], [1000, 0]], [0, 0, 0, 1])).toBeGreaterThan(100);
    expect(fitTemperature([[0.1, 0], [0.1, 0]], [0, 0])).toBeLessThan(0.1);
    expect(fitTemperature([], [])).toBe(1);
  });
});
