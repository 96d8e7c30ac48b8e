/** Something this process needs (Kafka, the registry, Postgres); `check` rejects when out of reach. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
