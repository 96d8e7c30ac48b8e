import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { newId } from '@hookstream/delivery';
import { type Pool, withTransaction } from '@hookstream/postgres';
import type { ApiKeyHasher, Environment } from '@hookstream/secrets';
import { isIP } from 'node:net';
import { z } from 'zod';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { API_KEY_HASHER } from '../auth/api-key.guard';
import { DATABASE } from '../tokens';

const cidr = z.string().refine((value) => {
  const [network, prefix, ...rest] = value.split('/');
  const family = isIP(network ?? '');
  const bits = Number(prefix);
  return rest.length === 0 && family !== 0 && Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}, 'must be a CIDR block such as 203.0.113.0/24');

export const CreateTenantSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    allowedCidrs: z.array(cidr).max(50).optional().describe('source addresses allowed to use the keys'),
  })
  .strict();

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/tenants')
@UseGuards(AdminTokenGuard)
export class TenantsController {
  constructor(
    @Inject(DATABASE) private readonly db: Pool,
    @Inject(API_KEY_HASHER) private readonly hasher: ApiKeyHasher,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a tenant with a sandbox and a live API key (shown once)' })
  async create(@Body({ schema: CreateTenantSchema }) body: z.infer<typeof CreateTenantSchema>) {
    const tenantId = newId('ten');
    const keys = { sandbox: this.hasher.issue('sandbox'), live: this.hasher.issue('live') };
    await withTransaction(this.db, async (client) => {
      await client.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, body.name]);
      for (const environment of ['sandbox', 'live'] as Environment[]) {
        const key = keys[environment];
        await client.query(
          'INSERT INTO api_keys (id, tenant_id, environment, lookup, hash, allowed_cidrs) VALUES ($1, $2, $3, $4, $5, $6)',
          [newId('key'), tenantId, environment, key.lookup, key.hash, body.allowedCidrs ?? null],
        );
      }
    });
    return { id: tenantId, name: body.name, keys: { sandbox: keys.sandbox.key, live: keys.live.key } };
  }
}
