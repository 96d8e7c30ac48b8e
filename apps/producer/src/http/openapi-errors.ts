import type { OpenAPIObject } from '@nestjs/swagger';

/** The one error shape of the API (error-body.filter.ts), as an OpenAPI schema. */
const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', description: 'machine-readable, e.g. invalid_request, not_found' },
        message: { type: 'string' },
        details: {
          type: 'array',
          description: 'each bad field named',
          items: {
            type: 'object',
            required: ['message'],
            properties: { field: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

const ERROR_REF = { $ref: '#/components/schemas/ErrorBody' };
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Documents the error shape on every `/v1` operation: each 4xx/5xx response it already lists gets the
 * schema, and a `4XX` response covers the rest (401, 404, 413, 429…), so a client, and an API fuzzer
 * checking responses against the spec, knows every error answers `{ error: { code, message, details } }`.
 */
export function documentErrorResponses(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY } };
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/')) continue; // health, metrics: not the API's error shape
    for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
      if (!HTTP_METHODS.has(method) || typeof operation !== 'object' || operation === null) continue;
      const responses = ((operation as { responses?: Record<string, Record<string, unknown>> }).responses ??= {});
      for (const [status, response] of Object.entries(responses)) {
        if (/^[45]/.test(status) && response['content'] === undefined)
          response['content'] = { 'application/json': { schema: ERROR_REF } };
      }
      responses['4XX'] ??= {
        description: 'an error: { error: { code, message, details } }',
        content: { 'application/json': { schema: ERROR_REF } },
      };
    }
  }
  return document;
}
