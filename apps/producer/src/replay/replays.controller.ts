import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ReplayService } from './replay.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@Controller('v1/replays')
@UseGuards(ApiKeyGuard)
export class ReplaysController {
  constructor(private readonly replays: ReplayService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'A replay job: running, succeeded, failed or interrupted, with how many deliveries it has scheduled',
  })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.replays.job(principal, id);
  }
}
