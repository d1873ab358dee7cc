import { pixelsToImage, pngDataUrl } from './png-image.js';

/**
 * Prompt Pruning (paper Sec. 3.1) and the prompt format it produces.
 *
 * The format (parsed back by {@link parsePrompt}, e.g. by the reference large model):
 *   system: "You are a classifier. <instruction>\n" + the answer rule
 *   user:   "Allowed labels: <JSON array of labels>\n"
 *           ["A specialist model estimates: \"<label>\" with probability 0.830; ...\n"]   (soft modes)
 *           "Answer with exactly one of the allowed labels and nothing else.\n"
 *           "Input:\n<text>"                          (text tasks)
 *           "Input: the attached image."  + an image_url part holding a PNG data URL  (image tasks)
 * Labels are JSON-quoted so any label (commas, quotes, newlines) survives the round trip, and the
 * header precedes the input so text in the input cannot shadow it.
 */

export type PromptMode = 'plain' | 'soft' | 'hard' | 'soft+hard';

export interface PromptTask {
  labels: readonly string[];
  instruction: string;
  inputKind: 'text' | 'image';
}

export type PromptContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail: 'low' } };

/** Structurally a subset of OpenAI's ChatCompletionMessageParam. */
export type PromptMessage = { role: 'system'; content: string } | { role: 'user'; content: string | PromptContentPart[] };

export interface BuiltPrompt {
  messages: PromptMessage[];
  allowedLabels: string[];
}

export interface BuildPromptArgs {
  task: PromptTask;
  mode: PromptMode;
  /** Small model probabilities, in the task's label order. */
  probs: readonly number[];
  threshold: number;
  input: string | readonly number[];
}

const LABELS_PREFIX = 'Allowed labels: ';
const INPUT_MARKER = '\nInput:\n';
const IMAGE_INPUT_LINE = 'Input: the attached image.';
export const ANSWER_RULE = 'Answer with exactly one of the allowed labels and nothing else.';
/** A hard prompt keeps at least this many candidates, so the large model still makes a choice. */
const MIN_HARD_CANDIDATES = 2;

export function buildPrompt({ task, mode, probs, threshold, input }: BuildPromptArgs): BuiltPrompt {
  if (probs.length !== task.labels.length) {
    throw new Error(`expected ${task.labels.length} probabilities (one per label), got ${probs.length}`);
  }
  const allowedLabels = mode === 'hard' || mode === 'soft+hard' ? hardPrunedLabels(task.labels, probs, threshold) : [...task.labels];
  const header = [LABELS_PREFIX + JSON.stringify(allowedLabels)];
  if (mode === 'soft' || mode === 'soft+hard') {
    const hint = softPromptLine(task.labels, probs, threshold);
    if (hint) header.push(hint);
  }
  header.push(ANSWER_RULE);
  const system: PromptMessage = {
    role: 'system',
    content: `You are a classifier. ${task.instruction}\nAnswer with exactly one label from the allowed labels, written exactly as listed, and nothing else.`,
  };
  return { messages: [system, userMessage(task.inputKind, header.join('\n'), input)], allowedLabels };
}

/** Hard prompt: drop the classes the small model rejects (prob < threshold), keeping the best two at least. */
export function hardPrunedLabels(labels: readonly string[], probs: readonly number[], threshold: number): string[] {
  const byProb = labels.map((_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
  const kept = new Set(byProb.filter((i, rank) => probs[i]! >= threshold || rank < MIN_HARD_CANDIDATES));
  return labels.filter((_, i) => kept.has(i));
}

/** Soft prompt: the small model's probabilities for the classes it is confident about (prob >= threshold). */
export function softPromptLine(labels: readonly string[], probs: readonly number[], threshold: number): string | null {
  const hints = labels
    .map((label, i) => ({ label, p: probs[i]! }))
    .filter(({ p }) => p >= threshold)
    .sort((a, b) => b.p - a.p)
    .map(({ label, p }) => `${JSON.stringify(label)} with probability ${p.toFixed(3)}`);
  return hints.length > 0 ? `A specialist model estimates: ${hints.join('; ')}.` : null;
}

function userMessage(inputKind: PromptTask['inputKind'], header: string, input: string | readonly number[]): PromptMessage {
  if (inputKind === 'text') {
    if (typeof input !== 'string') throw new Error('a text task needs a string input');
    return { role: 'user', content: header + INPUT_MARKER + input };
  }
  if (typeof input === 'string') throw new Error('an image task needs a pixel array input');
  return {
    role: 'user',
    content: [
      { type: 'text', text: `${header}\n${IMAGE_INPUT_LINE}` },
      { type: 'image_url', image_url: { url: pngDataUrl(pixelsToImage(input)), detail: 'low' } },
    ],
  };
}

/** Any chat message as it arrives over the wire. */
export interface WireMessage {
  role: string;
  content?: string | null | ReadonlyArray<{ type: string; text?: string; image_url?: { url: string } }>;
}

export interface ParsedPrompt {
  allowedLabels: string[];
  input: { kind: 'text'; text: string } | { kind: 'image'; dataUrl: string };
}

/**
 * Reads a prompt in the format above from the first user message (a retry's later reminder messages are
 * ignored). Returns null when the message does not follow the format.
 */
export function parsePrompt(messages: readonly WireMessage[]): ParsedPrompt | null {
  const user = messages.find((m) => m.role === 'user');
  if (!user?.content) return null;
  const parts = typeof user.content === 'string' ? [{ type: 'text', text: user.content }] : user.content;
  const text = parts.map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('\n');
  const inputAt = text.indexOf(INPUT_MARKER);
  // Only the header is searched for the labels line, so an input cannot forge one.
  const allowedLabels = parseLabelsLine(inputAt < 0 ? text : text.slice(0, inputAt));
  if (!allowedLabels) return null;
  const image = parts.find((p) => p.type === 'image_url' && p.image_url?.url);
  if (image) return { allowedLabels, input: { kind: 'image', dataUrl: image.image_url!.url } };
  return inputAt < 0 ? null : { allowedLabels, input: { kind: 'text', text: text.slice(inputAt + INPUT_MARKER.length) } };
}

function parseLabelsLine(text: string): string[] | null {
  const line = text.split('\n').find((l) => l.startsWith(LABELS_PREFIX));
  if (!line) return null;
  try {
    const labels: unknown = JSON.parse(line.slice(LABELS_PREFIX.length));
    const valid = Array.isArray(labels) && labels.length > 0 && labels.every((l) => typeof l === 'string' && l.length > 0);
    return valid ? (labels as string[]) : null;
  } catch {
    return null;
  }
}

/** Tokens a low-detail image costs with OpenAI's vision models. */
export const IMAGE_TOKENS = 85;
const CHARS_PER_TOKEN = 4;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** A provider-neutral token estimate of a prompt: chars/4 of its text plus a fixed count per image. */
export function estimatePromptTokens(messages: readonly WireMessage[]): number {
  let tokens = 0;
  for (const { content } of messages) {
    if (typeof content === 'string') tokens += estimateTextTokens(content);
    else for (const part of content ?? []) tokens += part.type === 'image_url' ? IMAGE_TOKENS : estimateTextTokens(part.text ?? '');
  }
  return tokens;
}
