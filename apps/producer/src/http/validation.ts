import { StandardSchemaValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';

/** Request validation by the route's zod (Standard Schema) schemas; every bad field named in `details`. */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) =>
      ApiError.invalid(
        'the request is invalid',
        issues.map((issue) => ({
          field:
            (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment)).join('.') ||
            undefined,
          message: issue.message,
        })),
      ),
  });
}
