import { HttpException, HttpStatus } from '@nestjs/common';

export interface ErrorDetail {
  readonly field?: string;
  readonly message: string;
}

/** About how long a restart or failover of Kafka or Postgres takes: sooner, a retry would likely fail again. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** An error the API answers with `{ error: { code, message, details } }`. */
export class ApiError extends HttpException {
  /** Sent as `Retry-After` (whole seconds) when set: a 429's wait, a 503's. */
  retryAfterSeconds?: number;

  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message, status);
  }

  static invalid(message: string, details: readonly ErrorDetail[] = []): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, 'invalid_request', message, details);
  }

  static notFound(what: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, 'not_found', `${what} not found`);
  }

  static conflict(code: string, message: string): ApiError {
    return new ApiError(HttpStatus.CONFLICT, code, message);
  }

  static unauthorized(message: string): ApiError {
    return new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(HttpStatus.FORBIDDEN, 'forbidden', message);
  }

  /** 429 with `Retry-After`: `rate_limited` (ingest limit) or `too_many_failed_authentications`. */
  static tooManyRequests(code: string, message: string, retryAfterSeconds: number): ApiError {
    const error = new ApiError(HttpStatus.TOO_MANY_REQUESTS, code, message);
    error.retryAfterSeconds = retryAfterSeconds;
    return error;
  }

  /** 503 with `Retry-After`: Kafka or Postgres is out of reach for now. */
  static unavailable(message: string, retryAfterSeconds = UNAVAILABLE_RETRY_AFTER_SECONDS): ApiError {
    const error = new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable', message);
    error.retryAfterSeconds = retryAfterSeconds;
    return error;
  }
}
