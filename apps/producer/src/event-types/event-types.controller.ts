import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FormatDeprecations, merchantEventTypes } from '@hookstream/contracts';
import type { Pool } from '@hookstream/postgres';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ProducerContext } from '../producer-context';
import { DATABASE } from '../tokens';

interface VersionUsageRow {
  event_type: string;
  format_version: number;
  deliveries: string;
  last_delivery_at: Date;
}

@ApiTags('event-types')
@ApiBearerAuth()
@Controller('v1/event-types')
@UseGuards(ApiKeyGuard)
export class EventTypesController {
  constructor(
    private readonly context: ProducerContext,
    private readonly deprecations: FormatDeprecations,
    @Inject(DATABASE) private readonly db: Pool,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The event catalogue: each type and its format versions in the schema registry',
    description:
      "Each version carries `usage`: how many of the caller's deliveries (in the key's environment) used it, and the latest; " +
      'a deprecated version its `sunsetAt`, and the `replacement` version to move to (null when none is named) with a `note`. ' +
      'System types (hookstream.format_deprecated) are not listed: hookstream sends them itself.',
  })
  async list(@CurrentPrincipal() principal: Principal) {
    const { rows } = await this.db.query<VersionUsageRow>(
      `SELECT event_type, format_version, deliveries, last_delivery_at FROM event_type_versions
        WHERE tenant_id = $1 AND environment = $2`,
      [principal.tenantId, principal.environment],
    );
    const usage = new Map(rows.map((row) => [`${row.event_type}@${row.format_version}`, row]));
    return {
      data: merchantEventTypes(this.context.catalogue.types()).map((definition) => ({
        type: definition.type,
        description: definition.description,
        optIn: definition.optIn,
        versions: definition.versions.map(({ version }) => {
          const registered = this.context.schemas.events.get(definition.type)?.get(version);
          const used = usage.get(`${definition.type}@${version}`);
          const deprecation = this.deprecations.of(definition.type, version);
          return {
            version,
            subject: registered?.subject,
            schemaId: registered?.id,
            deprecated: deprecation !== undefined,
            sunsetAt: deprecation?.sunsetAt ?? null,
            // Extensions beyond API.md's shape, on deprecated versions only: the others keep it exactly.
            ...(deprecation && { replacement: deprecation.replacement, note: deprecation.note }),
            usage: {
              deliveries: used ? Number(used.deliveries) : 0,
              lastDeliveryAt: used?.last_delivery_at.toISOString() ?? null,
            },
          };
        }),
      })),
    };
  }
}
