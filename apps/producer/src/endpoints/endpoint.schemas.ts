import { parseDuration } from '@hookstream/delivery';
import { z } from 'zod';
import { isoTimestamp } from '../http/timestamp';

const MAX_RETRY_DELAY_MS = 24 * 3_600_000;
/** The largest Postgres integer, the column type of every format version. */
export const MAX_FORMAT_VERSION = 2_147_483_647;

const retrySchedule = z
  .array(
    z.string().refine((value) => {
      const ms = parseDuration(value);
      return ms !== undefined && ms >= 1000 && ms <= MAX_RETRY_DELAY_MS;
    }, 'must be a duration from 1s to 24h, such as "5s", "30m" or "2h"'),
  )
  .max(20, 'at most 20 retries')
  .describe('delays before each retry; the first attempt is immediate');

const fields = {
  url: z
    .string()
    .max(2048)
    .describe('https:// (http:// and private addresses only for sandbox endpoints in local mode)'),
  eventTypes: z
    .array(z.string().min(1))
    .min(1)
    .max(50)
    .describe('catalogue types, or ["*"] (which leaves out opt-in types)'),
  description: z.string().max(500).optional(),
  // Format versions are Postgres integers: a larger number is no version, not a server error.
  formatVersion: z.number().int().min(1).max(MAX_FORMAT_VERSION).optional(),
  timeoutMs: z.number().int().min(1000).max(30_000).optional().describe('1–30 s, default 10 s'),
  rateLimitPerSecond: z.number().int().min(1).max(10_000).nullable().optional(),
  retrySchedule: retrySchedule.nullable().optional(),
  ordering: z.enum(['none', 'per-key']).optional(),
};

export const CreateEndpointSchema = z.object(fields).strict();
export type CreateEndpoint = z.infer<typeof CreateEndpointSchema>;

export const UpdateEndpointSchema = z
  .object({
    ...fields,
    url: fields.url.optional(),
    eventTypes: fields.eventTypes.optional(),
    status: z.enum(['enabled', 'disabled']).optional(),
  })
  .strict();
export type UpdateEndpoint = z.infer<typeof UpdateEndpointSchema>;

export const ListEndpointsQuerySchema = z
  .object({ formatVersion: z.coerce.number().int().min(1).max(MAX_FORMAT_VERSION).optional() })
  .strict();

export const RecoverEndpointSchema = z
  .object({
    since: isoTimestamp()
      // Something not a date at all is the datetime check's to report, once.
      .refine((value) => !(Date.parse(value) > Date.now()), 'must not be in the future')
      .describe('ISO 8601: failed and exhausted deliveries created at or after it are sent again'),
  })
  .strict();

export const TestEndpointSchema = z
  .object({
    eventType: z
      .string()
      .min(1)
      .describe('a merchant event type the endpoint receives; its example (schemas/<type>/example.json) is sent'),
  })
  .strict();
export type TestEndpoint = z.infer<typeof TestEndpointSchema>;
