import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ReplayEndpointSchema } from '../replay/replay.schemas';
import { ReplayService } from '../replay/replay.service';
import { RedriveService } from '../status/redrive.service';
import {
  CreateEndpointSchema,
  ListEndpointsQuerySchema,
  RecoverEndpointSchema,
  TestEndpointSchema,
  UpdateEndpointSchema,
} from './endpoint.schemas';
import { EndpointTestService } from './endpoint-test.service';
import { EndpointsService } from './endpoints.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@Controller('v1/endpoints')
@UseGuards(ApiKeyGuard)
export class EndpointsController {
  constructor(
    private readonly endpoints: EndpointsService,
    private readonly redrive: RedriveService,
    private readonly test: EndpointTestService,
    private readonly replays: ReplayService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register an endpoint; the answer carries its signing secret' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body({ schema: CreateEndpointSchema }) body: z.infer<typeof CreateEndpointSchema>,
  ) {
    return this.endpoints.create(principal, body);
  }

  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query({ schema: ListEndpointsQuerySchema }) query: z.infer<typeof ListEndpointsQuerySchema>,
  ) {
    return { data: await this.endpoints.list(principal, query.formatVersion) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.get(principal, id);
  }

  @Patch(':id')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body({ schema: UpdateEndpointSchema }) body: z.infer<typeof UpdateEndpointSchema>,
  ) {
    return this.endpoints.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(principal, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret; the old one stays valid, and also signs, for 24 hours' })
  rotateSecret(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.rotateSecret(principal, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send this endpoint a sample event of a type it receives, marked as a test (header hookstream-test: 1)',
  })
  @ApiResponse({ status: 202, description: '{ eventId }: the sample event, delivered like any other' })
  @ApiResponse({ status: 400, description: 'an unknown or system event type, or one the endpoint does not receive' })
  @ApiResponse({ status: 404, description: 'no such endpoint for this key' })
  @ApiResponse({ status: 409, description: 'the endpoint is disabled' })
  sendTest(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body({ schema: TestEndpointSchema }) body: z.infer<typeof TestEndpointSchema>,
  ) {
    return this.test.send(principal, id, body);
  }

  @Post(':id/recover')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send again, now, every failed or exhausted delivery of this endpoint created since a time',
  })
  recover(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body({ schema: RecoverEndpointSchema }) body: z.infer<typeof RecoverEndpointSchema>,
  ) {
    return this.redrive.recover(principal, id, new Date(body.since));
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Replay from the log: deliver the events of a time range this endpoint subscribes to and never got (hookstream.events keeps 30 days)',
  })
  @ApiResponse({ status: 202, description: '{ jobId, matched, alreadyDelivered, toSchedule }: GET /v1/replays/:jobId' })
  @ApiResponse({ status: 200, description: 'dryRun: { matched, alreadyDelivered, toSchedule, sample }, nothing sent' })
  @ApiResponse({ status: 400, description: 'a bad range, a type the endpoint does not receive, or too many events' })
  @ApiResponse({ status: 404, description: 'no such endpoint for this key' })
  @ApiResponse({ status: 409, description: 'the endpoint is disabled' })
  async replay(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body({ schema: ReplayEndpointSchema }) body: z.infer<typeof ReplayEndpointSchema>,
    @Res({ passthrough: true }) response: Response,
  ) {
    const answer = await this.replays.replay(principal, id, body);
    if (body.dryRun) response.status(200);
    return answer;
  }

  @Get(':id/replays')
  @ApiOperation({ summary: "The endpoint's latest replays (20), newest first" })
  async listReplays(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { data: await this.replays.jobs(principal, id) };
  }
}
