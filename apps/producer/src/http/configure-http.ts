import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from '@hookstream/observability';
import { serveDashboard } from '../dashboard/serve-dashboard';
import { ErrorBodyFilter } from './error-body.filter';
import { documentErrorResponses } from './openapi-errors';
import { createValidationPipe } from './validation';

export const MAX_BODY_BYTES = 256 * 1024;

/** JSON bodies up to 256 KiB, one error shape, validation from the routes' schemas, OpenAPI at /docs, the dashboard at /dashboard. */
export function configureHttp(app: INestApplication, logger: Logger, version: string): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.useGlobalFilters(new ErrorBodyFilter(logger));
  app.useGlobalPipes(createValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('hookstream')
      .setDescription('Webhook delivery for payments platforms: endpoints, events, deliveries.')
      .setVersion(version)
      .addBearerAuth()
      .build(),
  );
  documentErrorResponses(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  serveDashboard(app);
}
