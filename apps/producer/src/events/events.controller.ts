import { Body, Controller, Get, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { IdempotencyKeySchema, PublishEventSchema } from './event.schemas';
import { StatusQueries } from '../status/status-queries';
import { IngestRateLimitGuard } from './ingest-rate-limit.guard';
import { IngestService } from './ingest.service';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
export class EventsController {
  constructor(
    private readonly ingest: IngestService,
    private readonly queries: StatusQueries,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'An event with its deliveries (from the projections: visible shortly after 202)' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.queries.event(principal, id);
  }

  @Post()
  @HttpCode(202)
  @UseGuards(IngestRateLimitGuard)
  @ApiOperation({ summary: 'Publish an event; 202 once it is in the log; 429 with Retry-After over the ingest limit' })
  @ApiHeader({ name: 'idempotency-key', required: false, description: 'the same key within 24 h answers the same id' })
  publish(
    @CurrentPrincipal() principal: Principal,
    @Body({ schema: PublishEventSchema }) body: z.infer<typeof PublishEventSchema>,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const key = IdempotencyKeySchema.safeParse(idempotencyKey);
    return this.ingest.publish(principal, body, key.success ? key.data : undefined);
  }
}
