import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ProducerContext } from '../producer-context';

@ApiTags('event-types')
@ApiBearerAuth()
@Controller('v1/event-types')
@UseGuards(ApiKeyGuard)
export class EventTypesController {
  constructor(private readonly context: ProducerContext) {}

  @Get()
  @ApiOperation({ summary: 'The event catalogue: each type and its format versions in the schema registry' })
  list() {
    return {
      data: this.context.catalogue.types().map((definition) => ({
        type: definition.type,
        description: definition.description,
        optIn: definition.optIn,
        versions: definition.versions.map(({ version }) => {
          const registered = this.context.schemas.events.get(definition.type)?.get(version);
          return { version, subject: registered?.subject, schemaId: registered?.id, deprecated: false, sunsetAt: null };
        }),
      })),
    };
  }
}
