import { z } from 'zod';

/** The part of an OpenAI chat.completions request the stand-in reads; other fields are accepted and ignored. */
export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.string(),
        content: z
          .union([
            z.string(),
            z.null(),
            z.array(z.object({ type: z.string(), text: z.string().optional(), image_url: z.object({ url: z.string() }).optional() })),
          ])
          .optional(),
      }),
    )
    .min(1),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1).nullish(),
  stream: z.literal(false).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
