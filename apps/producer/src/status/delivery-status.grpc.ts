import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { redactCredentials } from '@hookstream/secrets';
import { ApiKeyAuthenticator } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiError } from '../http/api-error';
import { unavailableError } from '../http/unavailable';
import { refuseNulCharacters } from '../http/validation';
import { StatusQueries } from './status-queries';

const GRPC_STATUS: Partial<Record<number, status>> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  429: status.RESOURCE_EXHAUSTED,
  503: status.UNAVAILABLE,
};

/** `hookstream.v1.DeliveryStatus`: the REST status queries over gRPC, through the same query service. */
@Controller()
export class DeliveryStatusGrpc {
  constructor(
    private readonly queries: StatusQueries,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  @GrpcMethod('DeliveryStatus', 'GetEvent')
  getEvent(request: { id: string }, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    return this.answer(metadata, call, async (principal) => {
      const event = await this.queries.event(principal, request.id);
      return { ...event, data: JSON.stringify(event.data) };
    });
  }

  @GrpcMethod('DeliveryStatus', 'GetDelivery')
  getDelivery(request: { id: string }, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    return this.answer(metadata, call, (principal) => this.queries.delivery(principal, request.id));
  }

  @GrpcMethod('DeliveryStatus', 'ListDeliveries')
  listDeliveries(
    request: {
      endpointId?: string;
      status?: string;
      eventType?: string;
      transactionId?: string;
      limit?: number;
      cursor?: string;
      since?: string;
      until?: string;
    },
    metadata: Metadata,
    call: ServerUnaryCall<unknown, unknown>,
  ) {
    return this.answer(metadata, call, (principal) =>
      this.queries.deliveries(principal, {
        // proto3 sends absent strings as "": the same as no filter.
        endpointId: request.endpointId || undefined,
        status: request.status || undefined,
        eventType: request.eventType || undefined,
        transactionId: request.transactionId || undefined,
        since: request.since || undefined,
        until: request.until || undefined,
        cursor: request.cursor || undefined,
        limit: Math.min(100, Math.max(1, request.limit || 20)),
      }),
    );
  }

  private async answer<T>(
    metadata: Metadata,
    call: ServerUnaryCall<unknown, unknown>,
    query: (principal: Principal) => Promise<T>,
  ): Promise<T> {
    try {
      const authorization = metadata.get('authorization')[0];
      const peer = call
        .getPeer()
        .replace(/^ipv[46]:/, '')
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, '');
      const principal = await this.authenticator.authenticate(
        typeof authorization === 'string' ? authorization : undefined,
        peer,
      );
      refuseNulCharacters(call.request, 'request');
      return await query(principal);
    } catch (thrown) {
      const error = unavailableError(thrown) ?? thrown;
      if (error instanceof ApiError) {
        throw new RpcException({
          code: GRPC_STATUS[error.getStatus()] ?? status.UNKNOWN,
          message: redactCredentials(error.message),
        });
      }
      throw error;
    }
  }
}
