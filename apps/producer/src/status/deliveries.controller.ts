import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { isoTimestamp } from '../http/timestamp';
import { DeliveryStatsQuery } from './delivery-stats';
import { RedriveService } from './redrive.service';
import { StatusQueries } from './status-queries';

export const ListDeliveriesQuerySchema = z
  .object({
    endpointId: z.string().min(1).optional(),
    eventType: z.string().min(1).optional(),
    status: z.enum(['pending', 'succeeded', 'failed', 'exhausted']).optional(),
    transactionId: z.string().min(1).optional(),
    since: isoTimestamp().optional(),
    until: isoTimestamp().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).optional(),
  })
  .strict();

export const DeliveryStatsQuerySchema = z
  .object({
    since: isoTimestamp().optional(),
    until: isoTimestamp().optional(),
    bucket: z.enum(['minute', 'hour']).default('hour'),
  })
  .strict();

/** The stats' default range: the last day. */
const DAY_MS = 86_400_000;

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
@UseGuards(ApiKeyGuard)
export class DeliveriesController {
  constructor(
    private readonly queries: StatusQueries,
    private readonly redrive: RedriveService,
    private readonly stats: DeliveryStatsQuery,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Deliveries, newest first, filtered; pages follow nextCursor' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query({ schema: ListDeliveriesQuerySchema }) query: z.infer<typeof ListDeliveriesQuerySchema>,
  ) {
    return this.queries.deliveries(principal, query);
  }

  // Declared before ':id', which would otherwise take "stats" for a delivery id.
  @Get('stats')
  @ApiOperation({ summary: 'Deliveries created per minute or hour in [since, until), counted by current status' })
  statistics(
    @CurrentPrincipal() principal: Principal,
    @Query({ schema: DeliveryStatsQuerySchema }) query: z.infer<typeof DeliveryStatsQuerySchema>,
  ) {
    const until = query.until ? new Date(query.until) : new Date();
    const since = query.since ? new Date(query.since) : new Date(until.getTime() - DAY_MS);
    return this.stats.stats(principal, query.bucket, since, until);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A delivery with every attempt' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.queries.delivery(principal, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'One more attempt of this delivery, now (the same webhook-id)' })
  retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.redrive.retry(principal, id);
  }
}
