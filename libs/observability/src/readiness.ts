/**
 * Something this process needs (Kafka, the registry, Postgres); `check` rejects when out of reach.
 * It may resolve with details (e.g. `degraded`), shown under its name in /health/ready.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void | Readonly<Record<string, unknown>>>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
