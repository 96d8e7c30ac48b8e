import { Inject, Injectable } from '@nestjs/common';
import { isSystemEventType, merchantEventTypes } from '@hookstream/contracts';
import { createHostResolver, type HostResolver, newId } from '@hookstream/delivery';
import { newEndpointSecret } from '@hookstream/secrets';
import type { ProducerConfig } from '../config';
import { ApiError, type ErrorDetail } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { PRODUCER_CONFIG } from '../tokens';
import { checkEndpointUrl } from './endpoint-url-policy';
import type { CreateEndpoint, UpdateEndpoint } from './endpoint.schemas';
import {
  type EndpointHealth,
  type EndpointRow,
  EndpointsRepository,
  type EndpointValues,
  type Owner,
} from './endpoints.repository';

const DEFAULT_TIMEOUT_MS = 10_000;
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  formatVersion: number;
  timeoutMs: number;
  rateLimitPerSecond: number | null;
  retrySchedule: string[] | null;
  ordering: string;
  status: string;
  /** Why the engine disabled it, if it did. */
  disabledReason: string | null;
  environment: string;
  createdAt: string;
  updatedAt: string;
}

export function toView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    formatVersion: row.format_version,
    timeoutMs: row.timeout_ms,
    rateLimitPerSecond: row.rate_limit_per_second,
    retrySchedule: row.retry_schedule,
    ordering: row.ordering,
    status: row.status,
    disabledReason: row.disabled_reason,
    environment: row.environment,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

@Injectable()
export class EndpointsService {
  constructor(
    private readonly repository: EndpointsRepository,
    private readonly context: ProducerContext,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerConfig,
  ) {
    this.resolver = createHostResolver(config.dnsServers);
  }

  /** Resolves endpoint hosts as the dispatcher will (`DNS_SERVERS`). */
  private readonly resolver: HostResolver;
  private readonly resolveHost = async (host: string) => (await this.resolver(host)).map((entry) => entry.address);

  async create(owner: Owner, input: CreateEndpoint): Promise<EndpointView & { secret: string }> {
    const eventTypes = this.checkEventTypes(input.eventTypes);
    const formatVersion = input.formatVersion ?? this.newestCommonVersion(eventTypes);
    await this.assertValid(owner, input.url, eventTypes, formatVersion);
    const id = newId('ep');
    const secret = newEndpointSecret();
    const values: EndpointValues = {
      url: input.url,
      description: input.description ?? null,
      eventTypes,
      formatVersion,
      timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      retrySchedule: input.retrySchedule ?? null,
      ordering: input.ordering ?? 'none',
      status: 'enabled',
    };
    const row = await this.repository.create(
      owner,
      id,
      values,
      this.context.sealer.seal(secret, id),
      this.context.topics.endpoints,
    );
    await this.publishNow(id);
    return { ...toView(row), secret };
  }

  async get(owner: Owner, id: string): Promise<EndpointView & { health: EndpointHealth | null }> {
    const row = await this.repository.find(owner, id);
    if (!row) throw ApiError.notFound('endpoint');
    const health = await this.repository.health([row.id]);
    return { ...toView(row), health: health.get(row.id) ?? null };
  }

  async list(owner: Owner, formatVersion?: number): Promise<(EndpointView & { health: EndpointHealth | null })[]> {
    const rows = await this.repository.list(owner, formatVersion);
    const health = await this.repository.health(rows.map((row) => row.id));
    return rows.map((row) => ({ ...toView(row), health: health.get(row.id) ?? null }));
  }

  async update(owner: Owner, id: string, input: UpdateEndpoint): Promise<EndpointView> {
    const current = await this.repository.find(owner, id);
    if (!current) throw ApiError.notFound('endpoint');
    const eventTypes = input.eventTypes ? this.checkEventTypes(input.eventTypes) : current.event_types;
    const formatVersion = input.formatVersion ?? current.format_version;
    await this.assertValid(owner, input.url ?? current.url, eventTypes, formatVersion, input.url === undefined);
    const row = await this.repository.update(owner, id, this.context.topics.endpoints, () => ({
      ...input,
      eventTypes,
      formatVersion,
    }));
    if (!row) throw ApiError.notFound('endpoint');
    await this.publishNow(id);
    return toView(row);
  }

  async remove(owner: Owner, id: string): Promise<void> {
    if (!(await this.repository.softDelete(owner, id, this.context.topics.endpoints)))
      throw ApiError.notFound('endpoint');
    await this.publishNow(id);
  }

  /** A new secret; the previous one stays valid (and signs too) for 24 hours. */
  async rotateSecret(owner: Owner, id: string): Promise<{ secret: string; previousSecretExpiresAt: string }> {
    const secret = newEndpointSecret();
    const expiresAt = new Date(Date.now() + ROTATION_OVERLAP_MS);
    const row = await this.repository.update(owner, id, this.context.topics.endpoints, (current) => ({
      sealedSecret: this.context.sealer.seal(secret, id),
      previousSealedSecret: current.sealed_secret,
      previousSecretExpiresAt: expiresAt,
    }));
    if (!row) throw ApiError.notFound('endpoint');
    await this.publishNow(id);
    return { secret, previousSecretExpiresAt: expiresAt.toISOString() };
  }

  /** Publishes the change before answering, so an event sent right after it sees it; the relay retries otherwise. */
  private async publishNow(id: string): Promise<void> {
    await this.context.outbox.flushEndpoint(id).catch(() => undefined);
  }

  private checkEventTypes(eventTypes: readonly string[]): string[] {
    const unknown = eventTypes.filter((type) => type !== '*' && !this.context.catalogue.has(type));
    if (unknown.length > 0) {
      throw ApiError.invalid(
        'eventTypes names unknown event types',
        unknown.map((type) => ({
          field: 'eventTypes',
          message: `"${type}" is not in the catalogue (GET /v1/event-types)`,
        })),
      );
    }
    const system = eventTypes.filter((type) => isSystemEventType(this.context.catalogue.get(type)));
    if (system.length > 0) {
      throw ApiError.invalid(
        'eventTypes names system event types',
        system.map((type) => ({
          field: 'eventTypes',
          message: `"${type}" is sent by hookstream itself, to the endpoints it concerns; it cannot be subscribed to`,
        })),
      );
    }
    return [...new Set(eventTypes)];
  }

  private typesOf(eventTypes: readonly string[]): string[] {
    return eventTypes.includes('*')
      ? merchantEventTypes(this.context.catalogue.types()).map((definition) => definition.type)
      : [...eventTypes];
  }

  private newestCommonVersion(eventTypes: readonly string[]): number {
    const versionSets = this.typesOf(eventTypes).map(
      (type) => new Set(this.context.catalogue.get(type)?.versions.map((v) => v.version) ?? []),
    );
    const common = [...(versionSets[0] ?? [])].filter((version) => versionSets.every((set) => set.has(version)));
    return Math.max(1, ...common);
  }

  private async assertValid(
    owner: Owner,
    url: string,
    eventTypes: string[],
    formatVersion: number,
    isUrlUnchanged = false,
  ) {
    const errors: ErrorDetail[] = [];
    if (!isUrlUnchanged) {
      errors.push(
        ...(await checkEndpointUrl(
          url,
          { environment: owner.environment, isLocal: this.config.isLocal },
          this.resolveHost,
        )),
      );
    }
    for (const type of this.typesOf(eventTypes)) {
      if (!this.context.catalogue.schemaOf(type, formatVersion)) {
        errors.push({ field: 'formatVersion', message: `${type} has no format version ${formatVersion}` });
      }
    }
    if (errors.length > 0) throw ApiError.invalid('the endpoint is invalid', errors);
  }
}
