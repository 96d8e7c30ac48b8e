import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Logger } from '@hookstream/observability';
import { redactCredentials } from '@hookstream/secrets';
import type { Response } from 'express';
import { ApiError, type ErrorDetail } from './api-error';
import { unavailableError } from './unavailable';

const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Every error, from a route, a guard, the body parser or an unknown path, in one JSON shape. */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const exception = unavailableError(thrown) ?? thrown;
    const { status, code, message, details } = this.describe(exception);
    // A 503 is an outage already told by the process that met it, not a fault of this request.
    if (status === 503) this.logger.debug({ err: thrown }, 'request refused: a dependency is unavailable');
    else if (status >= 500) this.logger.error({ err: thrown }, 'request failed');
    if (exception instanceof ApiError && exception.retryAfterSeconds !== undefined)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    // A message may name a value it refused: never echo a secret or an API key that was sent by mistake.
    const safeDetails = details.map((detail) => ({
      ...detail,
      ...(detail.field === undefined ? {} : { field: redactCredentials(detail.field) }),
      message: redactCredentials(detail.message),
    }));
    response.status(status).json({ error: { code, message: redactCredentials(message), details: safeDetails } });
  }

  private describe(exception: unknown): {
    status: number;
    code: string;
    message: string;
    details: readonly ErrorDetail[];
  } {
    if (exception instanceof ApiError) {
      return {
        status: exception.getStatus(),
        code: exception.code,
        message: exception.message,
        details: exception.details,
      };
    }
    // body-parser's errors carry a `type`; Nest's Express adapter wraps them, keeping them as the cause.
    const raw = exception as { type?: string; limit?: number; cause?: { type?: string; limit?: number } };
    const parserError = raw?.cause?.type ? raw.cause : raw;
    if (parserError?.type === 'entity.parse.failed') {
      return { status: 400, code: 'malformed_json', message: 'the request body is not valid JSON', details: [] };
    }
    if (parserError?.type === 'entity.too.large') {
      return {
        status: 413,
        code: 'payload_too_large',
        message: `the request body is larger than ${Math.round((parserError.limit ?? 0) / 1024)} KiB`,
        details: [],
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const message = status === 404 ? 'no such route' : exception.message;
      return { status, code: CODE_BY_STATUS[status] ?? 'error', message, details: [] };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'internal_error', message: 'internal error', details: [] };
  }
}
