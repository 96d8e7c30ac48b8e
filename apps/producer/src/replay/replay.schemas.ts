import { z } from 'zod';
import { isoTimestamp } from '../http/timestamp';

export const ReplayEndpointSchema = z
  .object({
    since: isoTimestamp().describe('ISO 8601: events created at or after it (hookstream.events keeps 30 days)'),
    until: isoTimestamp().optional().describe('ISO 8601: events created before it; now when absent'),
    eventTypes: z
      .array(z.string().min(1))
      .min(1)
      .max(50)
      .optional()
      .describe('some of the types the endpoint receives; all of them when absent'),
    dryRun: z.boolean().optional().describe('count and sample what would be sent, send nothing (200)'),
    includeDelivered: z
      .boolean()
      .optional()
      .describe('also send again, as a new attempt of the same delivery, events the endpoint already got'),
  })
  .strict()
  .refine((body) => body.until === undefined || Date.parse(body.until) > Date.parse(body.since), {
    message: 'must be after since',
    path: ['until'],
  });
export type ReplayEndpoint = z.infer<typeof ReplayEndpointSchema>;
