import { isEventLogUnavailable } from '@hookstream/kafka';
import { isDatabaseUnavailable } from '@hookstream/postgres';
import { ApiError } from './api-error';

/**
 * The 503 for an error that means Kafka or Postgres is out of reach, wherever it was thrown (a guard,
 * a service, a query): REST and gRPC answer it the same way. Undefined for any other error.
 */
export function unavailableError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return undefined;
  if (isDatabaseUnavailable(error)) return ApiError.unavailable('the database is unavailable; retry later');
  if (isEventLogUnavailable(error)) return ApiError.unavailable('the event log is unavailable; retry later');
  return undefined;
}
