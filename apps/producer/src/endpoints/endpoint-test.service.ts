import { Injectable } from '@nestjs/common';
import { EventExamples, isSystemEventType } from '@hookstream/contracts';
import { isSubscribed, newId } from '@hookstream/delivery';
import { ApiError } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { TargetedDelivery } from '../targeted-delivery/targeted-delivery';
import type { TestEndpoint } from './endpoint.schemas';
import { EndpointsRepository, type Owner, subscriptionOf } from './endpoints.repository';

/**
 * `POST /v1/endpoints/:id/test`: the example event of a type, delivered to that endpoint only and like
 * any other (signed, retried, logged), marked as a test. Sandbox and live keys alike: a live merchant
 * also wants to check their endpoint, and the mark keeps the sample out of their books.
 */
@Injectable()
export class EndpointTestService {
  private readonly examples: EventExamples;
  private readonly delivery: TargetedDelivery;

  constructor(
    private readonly repository: EndpointsRepository,
    private readonly context: ProducerContext,
  ) {
    this.examples = new EventExamples(context.catalogue);
    this.delivery = new TargetedDelivery(context);
  }

  async send(owner: Owner, endpointId: string, input: TestEndpoint): Promise<{ eventId: string }> {
    const endpoint = await this.repository.find(owner, endpointId);
    if (!endpoint) throw ApiError.notFound('endpoint');
    const definition = this.context.catalogue.get(input.eventType);
    if (!definition) {
      throw ApiError.invalid('unknown event type', [
        { field: 'eventType', message: `"${input.eventType}" is not in the catalogue (GET /v1/event-types)` },
      ]);
    }
    const example = this.examples.get(input.eventType);
    if (isSystemEventType(definition) || !example) {
      throw ApiError.invalid('system event types cannot be tested', [
        { field: 'eventType', message: `"${input.eventType}" is sent by hookstream itself, only when it happens` },
      ]);
    }
    // Checked before the status, so that the message names what the endpoint could never receive.
    if (!isSubscribed(subscriptionOf(endpoint), input.eventType, definition.optIn)) {
      throw ApiError.invalid('the endpoint does not receive this event type', [
        { field: 'eventType', message: `"${input.eventType}" is not in the endpoint's eventTypes` },
      ]);
    }
    if (endpoint.status !== 'enabled')
      throw ApiError.conflict('endpoint_disabled', 'the endpoint is disabled; enable it to test it');

    const eventId = newId('evt');
    try {
      await this.delivery.send([
        {
          envelope: {
            eventId,
            tenantId: owner.tenantId,
            environment: owner.environment,
            type: input.eventType,
            createdAt: Date.now(),
            data: example.data,
          },
          writtenInVersion: example.formatVersion,
          endpoint: { id: endpoint.id, formatVersion: endpoint.format_version },
          isTest: true,
        },
      ]);
    } catch {
      throw ApiError.unavailable('the event log is unavailable; try again');
    }
    return { eventId };
  }
}
