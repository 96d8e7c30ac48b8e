import { type DynamicModule, Module } from '@nestjs/common';
import { FormatDeprecations } from '@hookstream/contracts';
import { type Logger, ObservabilityModule, type ObservabilityOptions } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import type { ApiKeyHasher } from '@hookstream/secrets';
import { AdminTokenGuard } from './auth/admin-token.guard';
import { API_KEY_HASHER, ApiKeyAuthenticator, ApiKeyGuard } from './auth/api-key.guard';
import type { ProducerConfig } from './config';
import { EndpointsController } from './endpoints/endpoints.controller';
import { EndpointsRepository } from './endpoints/endpoints.repository';
import { EndpointTestService } from './endpoints/endpoint-test.service';
import { EndpointsService } from './endpoints/endpoints.service';
import { EventTypesController } from './event-types/event-types.controller';
import { EventsController } from './events/events.controller';
import { IngestMetrics } from './events/ingest-metrics';
import { IngestRateLimitGuard } from './events/ingest-rate-limit.guard';
import { IngestService } from './events/ingest.service';
import { ProducerContext } from './producer-context';
import { ReplaysController } from './replay/replays.controller';
import { ReplayService } from './replay/replay.service';
import { AuthFailureThrottle } from './rate-limits/auth-failure-throttle';
import { IngestRateLimiter } from './rate-limits/ingest-rate-limiter';
import { DeliveriesController } from './status/deliveries.controller';
import { DeliveryStatsQuery } from './status/delivery-stats';
import { DeliveryStatusGrpc } from './status/delivery-status.grpc';
import { RedriveService } from './status/redrive.service';
import { StatusQueries } from './status/status-queries';
import { TenantsController } from './tenants/tenants.controller';
import { DATABASE, LOGGER, PRODUCER_CONFIG } from './tokens';

export interface ProducerModuleOptions {
  readonly config: ProducerConfig;
  readonly logger: Logger;
  readonly database: Pool;
  readonly apiKeyHasher: ApiKeyHasher;
  readonly context: ProducerContext;
  readonly formatDeprecations: FormatDeprecations;
  readonly observability: ObservabilityOptions;
  readonly ingestMetrics: IngestMetrics;
}

@Module({})
export class ProducerModule {
  static forRoot(options: ProducerModuleOptions): DynamicModule {
    return {
      module: ProducerModule,
      imports: [ObservabilityModule.forRoot(options.observability)],
      controllers: [
        TenantsController,
        EndpointsController,
        EventsController,
        EventTypesController,
        DeliveriesController,
        DeliveryStatusGrpc,
        ReplaysController,
      ],
      providers: [
        { provide: PRODUCER_CONFIG, useValue: options.config },
        { provide: LOGGER, useValue: options.logger },
        { provide: DATABASE, useValue: options.database },
        { provide: API_KEY_HASHER, useValue: options.apiKeyHasher },
        { provide: ProducerContext, useValue: options.context },
        { provide: FormatDeprecations, useValue: options.formatDeprecations },
        { provide: IngestMetrics, useValue: options.ingestMetrics },
        { provide: IngestRateLimiter, useValue: new IngestRateLimiter(options.config.ingestRateLimit) },
        { provide: AuthFailureThrottle, useValue: new AuthFailureThrottle(options.config.authFailureThrottle) },
        AdminTokenGuard,
        ApiKeyAuthenticator,
        ApiKeyGuard,
        IngestRateLimitGuard,
        EndpointsRepository,
        EndpointsService,
        EndpointTestService,
        IngestService,
        StatusQueries,
        DeliveryStatsQuery,
        RedriveService,
        ReplayService,
      ],
    };
  }
}
