/** Reading a large model's answer: which label it named, and how confident it was (C_l). */

const QUOTE_PAIRS: Record<string, string> = { '"': '"', "'": "'", '`': '`', '“': '”', '‘': '’' };

/**
 * Strict: the whole answer must be one allowed label, compared case-insensitively after trimming and
 * dropping surrounding quotes and a trailing period. Anything else (a sentence, two labels) is null, so
 * an answer outside the label set is never guessed into it.
 */
export function parseAnswer(text: string, allowedLabels: readonly string[]): string | null {
  for (const candidate of answerVariants(text)) {
    const exact = allowedLabels.find((label) => label === candidate);
    if (exact !== undefined) return exact;
    const folded = allowedLabels.filter((label) => label.toLowerCase() === candidate.toLowerCase());
    if (folded.length === 1) return folded[0]!;
  }
  return null;
}

/** The answer as given, then with decorations peeled one at a time ('"Cat."' -> 'Cat.' -> 'Cat'). */
function answerVariants(text: string): string[] {
  const variants: string[] = [];
  let current = text.trim();
  while (!variants.includes(current)) {
    variants.push(current);
    const close = QUOTE_PAIRS[current[0] ?? ''];
    if (close !== undefined && current.length >= 2 && current.endsWith(close)) current = current.slice(1, -1).trim();
    else if (current.endsWith('.')) current = current.slice(0, -1).trim();
  }
  return variants;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** C_l: the joint probability of the answer's tokens, exp(sum of logprobs); null without logprobs. */
export function answerConfidence(logprobContent: readonly TokenLogprob[] | null | undefined): number | null {
  if (!logprobContent || logprobContent.length === 0) return null;
  return Math.exp(logprobContent.reduce((sum, t) => sum + t.logprob, 0));
}
