import { HttpException, HttpStatus } from '@nestjs/common';

export interface ErrorDetail {
  readonly field?: string;
  readonly message: string;
}

/** An error the API answers with `{ error: { code, message, details } }`. */
export class ApiError extends HttpException {
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

  static unavailable(message: string): ApiError {
    return new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable', message);
  }
}
