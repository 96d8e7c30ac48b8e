import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { ObservabilityController } from './observability.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

export interface ObservabilityOptions {
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly metrics: Registry;
}

/** `/health/live`, `/health/ready` and `/metrics`, the same in every app. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [ObservabilityController],
      providers: [
        { provide: READINESS_CHECKS, useValue: options.readinessChecks },
        { provide: Registry, useValue: options.metrics },
      ],
      exports: [Registry, READINESS_CHECKS],
    };
  }
}
