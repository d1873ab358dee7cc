import { randomUUID } from 'node:crypto';

/**
 * OpenAI chat.completion bodies. The stand-in's vocabulary holds every label as one token (other text is
 * split into words), so the answer token's logprob is log P(label) and top_logprobs lists the other
 * allowed labels: exp(sum of token logprobs) is exactly the answer's probability.
 */

export interface CompletionRequestView {
  model: string;
  logprobs: boolean;
  topLogprobs: number;
  maxTokens: number | undefined;
  promptTokens: number;
}

/** The answer's tokens and the probability of its first one; the rest are certain. */
export interface Answer {
  tokens: string[];
  p: number;
  /** Other candidates for the first token, for top_logprobs. */
  alternatives: Array<{ token: string; p: number }>;
}

export function labelAnswer(ranked: ReadonlyArray<{ label: string; p: number }>): Answer {
  const [best, ...rest] = ranked;
  return { tokens: [best!.label], p: best!.p, alternatives: rest.map(({ label, p }) => ({ token: label, p })) };
}

export function textAnswer(text: string, p: number): Answer {
  return { tokens: text.match(/\s*\S+/g) ?? [], p, alternatives: [] };
}

export function chatCompletionBody(request: CompletionRequestView, answer: Answer) {
  const tokens = request.maxTokens === undefined ? answer.tokens : answer.tokens.slice(0, request.maxTokens);
  const logprobContent = tokens.map((token, i) => {
    const first = i === 0;
    const candidates = first ? [{ token, p: answer.p }, ...answer.alternatives] : [{ token, p: 1 }];
    return { ...tokenEntry(token, first ? answer.p : 1), top_logprobs: candidates.slice(0, request.topLogprobs).map((c) => tokenEntry(c.token, c.p)) };
  });
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    system_fingerprint: 'datashunt-reference-llm',
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: tokens.join(''), refusal: null },
        logprobs: request.logprobs ? { content: logprobContent, refusal: null } : null,
        finish_reason: tokens.length < answer.tokens.length ? ('length' as const) : ('stop' as const),
      },
    ],
    usage: { prompt_tokens: request.promptTokens, completion_tokens: tokens.length, total_tokens: request.promptTokens + tokens.length },
  };
}

function tokenEntry(token: string, p: number) {
  // OpenAI reports -9999 for "very unlikely"; log(0) would serialise as null.
  return { token, logprob: Math.max(Math.log(p), -9999), bytes: [...Buffer.from(token, 'utf8')] };
}
