import { StandardSchemaValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { nulCharacterPath } from '@hookstream/postgres';
import { ApiError } from './api-error';

/** Text the API refuses before any schema: Postgres cannot store U+0000, and a 500 would be the wrong answer. */
export function refuseNulCharacters(value: unknown, where: string): void {
  const path = nulCharacterPath(value);
  if (path === undefined) return;
  throw ApiError.invalid('text may not contain the NUL character (U+0000)', [
    { field: path || where, message: 'contains U+0000' },
  ]);
}

/** Request validation by the route's zod (Standard Schema) schemas; every bad field named in `details`. */
class RequestValidationPipe extends StandardSchemaValidationPipe {
  override transform<T>(value: T, metadata: ArgumentMetadata): Promise<T> {
    if (metadata.type !== 'custom') refuseNulCharacters(value, metadata.data ?? metadata.type);
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): StandardSchemaValidationPipe {
  return new RequestValidationPipe({
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
