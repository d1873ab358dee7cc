import { chatCompletionBody, labelAnswer, textAnswer } from './chat-completion';

const request = { model: 'gpt-test', logprobs: true, topLogprobs: 2, maxTokens: 8, promptTokens: 40 };

describe('chatCompletionBody', () => {
  it('answers a label as one token whose logprob is log P, alternatives in top_logprobs', () => {
    const body = chatCompletionBody(request, labelAnswer([{ label: 'spam', p: 0.8 }, { label: 'ham', p: 0.15 }, { label: 'x', p: 0.05 }]));
    const choice = body.choices[0]!;
    expect(choice.message).toEqual({ role: 'assistant', content: 'spam', refusal: null });
    expect(choice.finish_reason).toBe('stop');
    const [token] = choice.logprobs!.content;
    expect(token).toMatchObject({ token: 'spam', bytes: [115, 112, 97, 109] });
    expect(Math.exp(token!.logprob)).toBeCloseTo(0.8);
    expect(token!.top_logprobs.map((t) => t.token)).toEqual(['spam', 'ham']);
    expect(body.usage).toEqual({ prompt_tokens: 40, completion_tokens: 1, total_tokens: 41 });
    expect(body.id).toMatch(/^chatcmpl-/);
  });

  it('splits text into words, truncates at max tokens and omits logprobs unless asked', () => {
    const body = chatCompletionBody({ ...request, logprobs: false, maxTokens: 3 }, textAnswer('it could be several things', 0.5));
    expect(body.choices[0]!.message.content).toBe('it could be');
    expect(body.choices[0]!.finish_reason).toBe('length');
    expect(body.choices[0]!.logprobs).toBeNull();
  });

  it('reports an impossible answer as -9999, not null', () => {
    const body = chatCompletionBody(request, labelAnswer([{ label: 'a', p: 0 }]));
    expect(body.choices[0]!.logprobs!.content[0]!.logprob).toBe(-9999);
  });
});
