import { type DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule, type ObservabilityOptions } from '@hookstream/observability';

@Module({})
export class RetrySchedulerModule {
  static forRoot(observability: ObservabilityOptions): DynamicModule {
    return {
      module: RetrySchedulerModule,
      imports: [ObservabilityModule.forRoot(observability)],
    };
  }
}
