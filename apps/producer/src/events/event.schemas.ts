import { z } from 'zod';

export const PublishEventSchema = z
  .object({
    type: z.string().min(1).describe('a catalogue type (GET /v1/event-types)'),
    data: z.record(z.string(), z.unknown()).describe("the type's fields; validated against its Avro schema"),
    formatVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('the format version `data` is written in; default the newest'),
  })
  .strict();
export type PublishEvent = z.infer<typeof PublishEventSchema>;

export const IdempotencyKeySchema = z.string().min(1).max(255).optional();
