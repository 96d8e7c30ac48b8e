import { Controller, Get, Header, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

const READINESS_TIMEOUT_MS = 3000;

@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly readinessChecks: readonly ReadinessCheck[],
    @Inject(Registry) private readonly metrics: Registry,
  ) {}

  /** The process is up; says nothing about its dependencies. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** This process can reach what it needs; 503 with the failing checks otherwise. */
  @Get('health/ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.readinessChecks.map(
        (readiness) => () =>
          this.indicators
            .check(readiness.name)
            .attempt(() => readiness.check())
            .withTimeout(READINESS_TIMEOUT_MS),
      ),
    );
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
