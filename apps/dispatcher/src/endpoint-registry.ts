import type { EndpointConfigured } from '@hookstream/contracts';
import {
  type Admin,
  type AvroCodec,
  CompactedFeed,
  decodeOrPoison,
  type Kafka,
  type QuarantineWriter,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { SecretSealer } from '@hookstream/secrets';
import { secretFingerprint } from '@hookstream/signing';

export interface LiveEndpoint {
  readonly config: EndpointConfigured;
  /** Opened signing secrets, newest first; a rotated-out one until it expires. */
  readonly secrets: readonly SigningSecret[];
}

export interface SigningSecret {
  readonly secret: string;
  /** Recorded with each attempt it signed; computed once here rather than per attempt. */
  readonly fingerprint: string;
  readonly expiresAt: number | null;
}

/** Every endpoint's current configuration, kept from the compacted endpoints topic. */
export class EndpointRegistry {
  private readonly endpoints = new Map<string, LiveEndpoint>();
  /** Deleted endpoints: their remaining deliveries are dropped without asking Kafka again. */
  private readonly deleted = new Set<string>();
  private readonly feed: CompactedFeed;
  /** Called after an endpoint changed or was deleted. */
  onChange: (endpointId: string) => void = () => undefined;

  constructor(options: {
    kafka: Kafka;
    admin: Admin;
    topic: string;
    codec: AvroCodec;
    sealer: SecretSealer;
    name: string;
    logger: Logger;
    /** Sets aside endpoint records that can never be decoded (the feed commits no offsets). */
    quarantine: QuarantineWriter;
  }) {
    this.feed = new CompactedFeed({
      kafka: options.kafka,
      admin: options.admin,
      topic: options.topic,
      name: options.name,
      logger: options.logger,
      apply: async (key, message) => {
        if (!message.value) {
          this.endpoints.delete(key);
          this.deleted.add(key);
          this.onChange(key);
          return;
        }
        const decoded = await decodeOrPoison(message.value, (bytes) => options.codec.decode<EndpointConfigured>(bytes));
        if (decoded.failure) {
          const { reason } = decoded.failure;
          options.logger.warn({ key, offset: message.offset, reason }, 'endpoint record quarantined');
          return options.quarantine.put(options.topic, message, reason, { group: options.name });
        }
        this.deleted.delete(key);
        const { value } = decoded.value;
        this.endpoints.set(key, {
          config: value,
          secrets: value.secrets.map((sealed) => {
            const secret = options.sealer.open(sealed.sealed, value.endpointId);
            return { secret, fingerprint: secretFingerprint(secret), expiresAt: sealed.expiresAt };
          }),
        });
        this.onChange(key);
      },
    });
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }

  get(endpointId: string): LiveEndpoint | undefined {
    return this.endpoints.get(endpointId);
  }

  /**
   * The endpoint a delivery is for. One known and enabled is taken as known. One not read yet, or read as
   * disabled, is looked up again once every change written before this call has been read: created or
   * enabled a moment ago, it must not be taken for missing or disabled, which would drop its delivery.
   */
  async current(endpointId: string): Promise<LiveEndpoint | undefined> {
    const known = this.endpoints.get(endpointId);
    if (known?.config.status === 'enabled' || this.deleted.has(endpointId)) return known;
    await this.feed.waitUntilCurrent();
    return this.endpoints.get(endpointId);
  }
}
