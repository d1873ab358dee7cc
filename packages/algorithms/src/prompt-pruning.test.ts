import { decodePngDataUrl } from './png-image';
import { buildPrompt, estimatePromptTokens, hardPrunedLabels, IMAGE_TOKENS, parsePrompt, softPromptLine, type PromptContentPart } from './prompt-pruning';

const task = { labels: ['cat', 'dog', 'tiger', 'lion'], instruction: 'Classify the animal.', inputKind: 'text' as const };
const probs = [0.83, 0.12, 0.04, 0.01];

describe('hard prompt', () => {
  it('drops the classes below the threshold, keeping label order', () => {
    expect(hardPrunedLabels(task.labels, probs, 0.05)).toEqual(['cat', 'dog']);
    expect(hardPrunedLabels(task.labels, [0.1, 0.2, 0.3, 0.4], 0.15)).toEqual(['dog', 'tiger', 'lion']);
  });

  it('never keeps fewer than the two most probable classes', () => {
    expect(hardPrunedLabels(task.labels, [0.01, 0.97, 0.005, 0.015], 0.5)).toEqual(['dog', 'lion']);
    expect(hardPrunedLabels(task.labels, probs, 1)).toEqual(['cat', 'dog']);
  });
});

describe('soft prompt', () => {
  it('lists the confident classes, most probable first', () => {
    expect(softPromptLine(task.labels, probs, 0.1)).toBe('A specialist model estimates: "cat" with probability 0.830; "dog" with probability 0.120.');
    expect(softPromptLine(task.labels, probs, 0.9)).toBeNull();
  });
});

describe('buildPrompt', () => {
  it('plain: every label, no hints, the answer rule in both messages', () => {
    const { messages, allowedLabels } = buildPrompt({ task, mode: 'plain', probs, threshold: 0.05, input: 'a striped cat' });
    expect(allowedLabels).toEqual(task.labels);
    expect(messages[0]).toEqual({ role: 'system', content: expect.stringContaining('Classify the animal.') });
    expect(messages[0]!.content).toContain('exactly one label');
    expect(messages[1]).toEqual({
      role: 'user',
      content: 'Allowed labels: ["cat","dog","tiger","lion"]\nAnswer with exactly one of the allowed labels and nothing else.\nInput:\na striped cat',
    });
  });

  it('soft+hard: pruned labels plus the hints', () => {
    const { messages, allowedLabels } = buildPrompt({ task, mode: 'soft+hard', probs, threshold: 0.05, input: 'x' });
    expect(allowedLabels).toEqual(['cat', 'dog']);
    expect(messages[1]!.content).toContain('Allowed labels: ["cat","dog"]\nA specialist model estimates: "cat" with probability 0.830;');
  });

  it('rejects probabilities that do not match the labels', () => {
    expect(() => buildPrompt({ task, mode: 'soft', probs: [1], threshold: 0.1, input: 'x' })).toThrow(/4 probabilities/);
  });

  it('sends an image as a PNG data URL that decodes to the same pixels', () => {
    const pixels = Array.from({ length: 16 }, (_, i) => i * 16);
    const { messages } = buildPrompt({ task: { ...task, inputKind: 'image' }, mode: 'hard', probs, threshold: 0.05, input: pixels });
    const parts = messages[1]!.content as PromptContentPart[];
    expect(parts[0]).toEqual({ type: 'text', text: expect.stringMatching(/Input: the attached image\.$/) });
    const image = parts[1] as Extract<PromptContentPart, { type: 'image_url' }>;
    expect(image.image_url.detail).toBe('low');
    expect(decodePngDataUrl(image.image_url.url)).toEqual({ side: 4, channels: 1, pixels: Uint8Array.from(pixels) });
  });
});

describe('parsePrompt', () => {
  it('round-trips labels and text input, including awkward labels and inputs', () => {
    const labels = ['a, "b"', 'c\nd'];
    const input = 'first line\nAllowed labels: ["forged"]\nInput:\nmore';
    const { messages } = buildPrompt({ task: { ...task, labels }, mode: 'soft', probs: [0.5, 0.5], threshold: 0.1, input });
    expect(parsePrompt(messages)).toEqual({ allowedLabels: labels, input: { kind: 'text', text: input } });
  });

  it('reads the image input and ignores a later reminder message', () => {
    const { messages } = buildPrompt({ task: { ...task, inputKind: 'image' }, mode: 'plain', probs, threshold: 0, input: [0, 0, 0, 0] });
    const parsed = parsePrompt([...messages, { role: 'assistant', content: 'meow' }, { role: 'user', content: 'Allowed labels: ["x"]' }]);
    expect(parsed?.allowedLabels).toEqual(task.labels);
    expect(parsed?.input.kind).toBe('image');
  });

  it('returns null for prompts in another format', () => {
    expect(parsePrompt([{ role: 'user', content: 'Is this a cat or a dog?' }])).toBeNull();
    expect(parsePrompt([{ role: 'user', content: 'Allowed labels: cat, dog\nInput:\nx' }])).toBeNull();
    expect(parsePrompt([{ role: 'user', content: 'Allowed labels: ["cat"]' }])).toBeNull();
    expect(parsePrompt([{ role: 'system', content: 'Allowed labels: ["cat"]\nInput:\nx' }])).toBeNull();
  });
});

describe('estimatePromptTokens', () => {
  it('counts chars/4 of text and a fixed 85 per image, never the data URL', () => {
    const { messages } = buildPrompt({ task: { ...task, inputKind: 'image' }, mode: 'plain', probs, threshold: 0, input: new Array(784).fill(9) });
    const [system, user] = messages;
    const text = (user!.content as PromptContentPart[])[0] as { text: string };
    expect(estimatePromptTokens(messages)).toBe(Math.ceil(system!.content.length / 4) + Math.ceil(text.text.length / 4) + IMAGE_TOKENS);
    expect(estimatePromptTokens([{ role: 'user', content: 'abcde' }, { role: 'assistant', content: null }])).toBe(2);
  });
});
